import type { Client, ClientList, ClientSecret, ClientWithSecret } from '@authpair/contracts'
import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { confirmAction } from '../components/confirm.js'
import { Notice } from '../components/notice.js'
import { Pager, usePages } from '../components/pager.js'
import { useAction, useLoad } from '../components/use-load.js'
import { formatTime, listFromText } from '../format.js'

/** A secret is shown once, right after it is made: only its hash is stored. */
interface Shown {
  clientId: string
  name: string
  secret: string
}

/** Clients of the client-credentials grant (/admin/clients). */
export function ClientsPage() {
  const pages = usePages()
  const cursor = pages.cursor
  const list = useLoad(
    () => api.get<ClientList>('/admin/clients', { cursor, limit: 20 }),
    cursor ?? '',
  )
  const [run, error, done] = useAction()
  const [shown, setShown] = useState<Shown | null>(null)

  const create = (event: Event) => {
    event.preventDefault()
    const form = event.currentTarget as HTMLFormElement
    const data = new FormData(form)
    return run(async () => {
      const created = await api.send<ClientWithSecret>('POST', '/admin/clients', {
        name: String(data.get('name') ?? '').trim(),
        scopes: listFromText(String(data.get('scopes') ?? '')),
        audiences: listFromText(String(data.get('audiences') ?? '')),
      })
      setShown({ clientId: created.client_id, name: created.name, secret: created.client_secret })
      form.reset()
      list.reload()
      return `Client ${created.name} created.`
    })
  }
  const rotate = (client: Client) =>
    run(async () => {
      const question = `Give ${client.name} a new secret? The current one stops working at once.`
      if (!(await confirmAction(question, 'Rotate secret'))) return 'Nothing was changed.'
      const { client_secret } = await api.send<ClientSecret>(
        'POST',
        `/admin/clients/${client.client_id}/secret`,
      )
      setShown({ clientId: client.client_id, name: client.name, secret: client_secret })
      return `New secret for ${client.name}.`
    })
  const toggle = (client: Client) =>
    run(async () => {
      const verb = client.disabled ? 'Enable' : 'Disable'
      const question = client.disabled
        ? `Enable ${client.name}? Its secret works again.`
        : `Disable ${client.name}? Its secret stops working at once.`
      if (!(await confirmAction(question, verb))) return 'Nothing was changed.'
      await api.send('PATCH', `/admin/clients/${client.client_id}`, { disabled: !client.disabled })
      list.reload()
      return `${client.name}: ${client.disabled ? 'enabled' : 'disabled'}.`
    })
  const remove = (client: Client) =>
    run(async () => {
      if (!(await confirmAction(`Delete ${client.name} for good?`, 'Delete'))) {
        return 'Nothing was changed.'
      }
      await api.send('DELETE', `/admin/clients/${client.client_id}`)
      list.reload()
      return `${client.name} deleted.`
    })

  return (
    <section aria-labelledby="clients-title">
      <h1 id="clients-title">Clients</h1>
      <form class="filters" id="create-client" onSubmit={create}>
        <div>
          <label for="client-name">Name</label>
          <input id="client-name" name="name" required maxLength={100} />
        </div>
        <div>
          <label for="client-scopes">Scopes</label>
          <input id="client-scopes" name="scopes" placeholder="users:read, …" />
        </div>
        <div>
          <label for="client-audiences">Audiences</label>
          <input id="client-audiences" name="audiences" placeholder="users-service, …" />
        </div>
        <button type="submit">Create client</button>
      </form>
      <Notice error={error ?? list.error} done={done} />
      {shown && (
        <section class="secret" id="client-secret" aria-label="New client secret">
          <p>
            The secret of <strong>{shown.name}</strong>, shown this once: store it now.
          </p>
          <dl>
            <dt>client_id</dt>
            <dd>
              <code id="shown-client-id">{shown.clientId}</code>
            </dd>
            <dt>client_secret</dt>
            <dd>
              <code id="shown-client-secret">{shown.secret}</code>
            </dd>
          </dl>
          <button type="button" onClick={() => setShown(null)}>
            I have stored it
          </button>
        </section>
      )}
      {list.data && list.data.items.length === 0 && <p>No client yet.</p>}
      {list.data && list.data.items.length > 0 && (
        <div class="table-wrap">
          <table id="clients">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Id</th>
                <th scope="col">Scopes</th>
                <th scope="col">Audiences</th>
                <th scope="col">State</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((client) => (
                <tr key={client.client_id}>
                  <td>{client.name}</td>
                  <td>
                    <code>{client.client_id}</code>
                  </td>
                  <td>{client.scopes.join(' ') || '—'}</td>
                  <td>{client.audiences.join(' ') || '—'}</td>
                  <td>{client.disabled ? 'disabled' : 'enabled'}</td>
                  <td>{formatTime(client.created_at)}</td>
                  <td>{formatTime(client.last_used_at)}</td>
                  <td class="row-actions">
                    <button type="button" onClick={() => rotate(client)}>
                      Rotate secret
                    </button>
                    <button type="button" onClick={() => toggle(client)}>
                      {client.disabled ? 'Enable' : 'Disable'}
                    </button>
                    <button type="button" class="danger" onClick={() => remove(client)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager
        pages={pages}
        nextCursor={list.data?.next_cursor}
        startLabel="First page"
        nextLabel="Next page"
      />
    </section>
  )
}
