import type { SigningKeyList } from '@authpair/contracts'
import { api } from '../api.js'
import { confirmAction } from '../components/confirm.js'
import { Notice } from '../components/notice.js'
import { useAction, useLoad } from '../components/use-load.js'
import { formatTime } from '../format.js'

/** Signing keys with their status, and rotation (GET/POST /admin/auth/keys). */
export function KeysPage() {
  const keys = useLoad(() => api.get<SigningKeyList>('/admin/auth/keys'), 'keys')
  const [run, error, done] = useAction()
  const rotate = () =>
    run(async () => {
      const question =
        'Publish a new signing key? It signs once verifiers have had time to fetch it; the active key is retired then.'
      if (!(await confirmAction(question, 'Rotate'))) return 'Nothing was changed.'
      await api.send('POST', '/admin/auth/keys/rotate')
      keys.reload()
      return 'A new key is published.'
    })
  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">Signing keys</h1>
      <div class="actions">
        <button type="button" id="rotate-key" onClick={rotate}>
          Rotate
        </button>
      </div>
      <Notice error={error ?? keys.error} done={done} />
      {keys.data && (
        <div class="table-wrap">
          <table id="keys">
            <thead>
              <tr>
                <th scope="col">Key id</th>
                <th scope="col">Algorithm</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Signs from</th>
                <th scope="col">Retired</th>
                <th scope="col">Published until</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.items.map((key) => (
                <tr key={key.kid}>
                  <td>
                    <code>{key.kid}</code>
                  </td>
                  <td>{key.alg}</td>
                  <td>{key.status}</td>
                  <td>{formatTime(key.created_at)}</td>
                  <td>{formatTime(key.activates_at)}</td>
                  <td>{formatTime(key.retired_at)}</td>
                  <td>{formatTime(key.published_until)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
