import type { AuditEvent, AuditEventList } from '@authpair/contracts'
import { AUDIT_EVENT_TYPES } from '@authpair/contracts/audit-event-types'
import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { Notice } from '../components/notice.js'
import { Pager, usePages } from '../components/pager.js'
import { useLoad } from '../components/use-load.js'
import { formatTime, isoFromLocalInput } from '../format.js'
import { hrefOf } from '../router.js'

interface Filters {
  user: string
  type: string
  since: string
  until: string
}

/** The audit log: filters (user, event type, time), newest first, cursor paging. */
export function AuditPage() {
  const [filters, setFilters] = useState<Filters>({ user: '', type: '', since: '', until: '' })
  const pages = usePages()
  const cursor = pages.cursor
  const list = useLoad(
    () =>
      api.get<AuditEventList>('/admin/audit', {
        user_id: filters.user,
        type: filters.type,
        since: isoFromLocalInput(filters.since),
        until: isoFromLocalInput(filters.until),
        cursor,
        limit: 50,
      }),
    JSON.stringify([filters, cursor]),
  )

  // The fields are the browser's own (no value props): a list arriving mid-typing re-renders
  // the page, and a bound value would put back the last search over what was typed.
  const search = (event: Event) => {
    event.preventDefault()
    const data = new FormData(event.currentTarget as HTMLFormElement)
    const text = (name: string) => String(data.get(name) ?? '').trim()
    setFilters({
      user: text('user'),
      type: text('type'),
      since: text('since'),
      until: text('until'),
    })
    pages.restart()
  }

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form class="filters" onSubmit={search}>
        <div>
          <label for="audit-user">User id</label>
          <input id="audit-user" name="user" />
        </div>
        <div>
          <label for="audit-type">Event type</label>
          <select id="audit-type" name="type">
            <option value="">any</option>
            {AUDIT_EVENT_TYPES.map((type) => (
              <option value={type} key={type}>
                {type}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="audit-since">From</label>
          <input id="audit-since" name="since" type="datetime-local" />
        </div>
        <div>
          <label for="audit-until">Until</label>
          <input id="audit-until" name="until" type="datetime-local" />
        </div>
        <button type="submit">Filter</button>
      </form>
      <Notice error={list.error} />
      {list.data && <AuditTable events={list.data.items} showUser />}
      <Pager
        pages={pages}
        nextCursor={list.data?.next_cursor}
        startLabel="Newest"
        nextLabel="Older"
      />
    </section>
  )
}

export function AuditTable({ events, showUser }: { events: AuditEvent[]; showUser: boolean }) {
  if (events.length === 0) return <p>No event.</p>
  return (
    <div class="table-wrap">
      <table class="audit">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            {showUser && <th scope="col">User</th>}
            <th scope="col">By</th>
            <th scope="col">Address</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <tr key={event.id}>
              <td>{formatTime(event.created_at)}</td>
              <td>
                <code>{event.type}</code>
              </td>
              {showUser && (
                <td>
                  {event.user_id ? <a href={hrefOf.user(event.user_id)}>{event.user_id}</a> : '—'}
                </td>
              )}
              <td>{actorOf(event, showUser)}</td>
              <td>{event.ip ?? '—'}</td>
              <td class="clip">
                {Object.keys(event.details).length ? JSON.stringify(event.details) : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** Who acted: the user themselves (no actor), an admin (a link to them), or the CLI. */
function actorOf(event: AuditEvent, linkable: boolean) {
  if (!event.actor_id) return 'self'
  if (event.actor_id === 'cli' || !linkable) return event.actor_id
  return <a href={hrefOf.user(event.actor_id)}>{event.actor_id}</a>
}
