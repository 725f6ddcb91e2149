import type { AdminUser, AdminUserList } from '@authpair/contracts'
import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { Notice } from '../components/notice.js'
import { Pager, usePages } from '../components/pager.js'
import { useLoad } from '../components/use-load.js'
import { formatTime } from '../format.js'
import { hrefOf } from '../router.js'

interface Filters {
  email_prefix: string
  role: string
  active: string
}

/** Users: search by email prefix, role and state; pages by cursor (GET /admin/users). */
export function UsersPage() {
  const [filters, setFilters] = useState<Filters>({ email_prefix: '', role: '', active: '' })
  const pages = usePages()
  const cursor = pages.cursor
  const list = useLoad(
    () => api.get<AdminUserList>('/admin/users', { ...filters, cursor, limit: 20 }),
    JSON.stringify([filters, cursor]),
  )

  // The fields are the browser's own (no value props): a list arriving mid-typing re-renders
  // the page, and a bound value would put back the last search over what was typed.
  const search = (event: Event) => {
    event.preventDefault()
    const data = new FormData(event.currentTarget as HTMLFormElement)
    setFilters({
      email_prefix: String(data.get('email_prefix') ?? '').trim(),
      role: String(data.get('role') ?? ''),
      active: String(data.get('active') ?? ''),
    })
    pages.restart()
  }

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <form class="filters" onSubmit={search}>
        <div>
          <label for="email-prefix">Email starts with</label>
          <input id="email-prefix" name="email_prefix" type="search" />
        </div>
        <div>
          <label for="role-filter">Role</label>
          <select id="role-filter" name="role">
            <option value="">any</option>
            <option value="user">user</option>
            <option value="admin">admin</option>
          </select>
        </div>
        <div>
          <label for="active-filter">State</label>
          <select id="active-filter" name="active">
            <option value="">any</option>
            <option value="true">active</option>
            <option value="false">deactivated</option>
          </select>
        </div>
        <button type="submit">Search</button>
      </form>
      <Notice error={list.error} />
      {list.data && <UserTable users={list.data.items} />}
      <Pager
        pages={pages}
        nextCursor={list.data?.next_cursor}
        startLabel="First page"
        nextLabel="Next page"
      />
    </section>
  )
}

function UserTable({ users }: { users: AdminUser[] }) {
  if (users.length === 0) return <p>No user matches.</p>
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">State</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {users.map((user) => (
            <tr key={user.id}>
              <td>
                <a href={hrefOf.user(user.id)}>{user.email ?? `(no email) ${user.id}`}</a>
              </td>
              <td>{user.name ?? ''}</td>
              <td>{user.role}</td>
              <td>{user.is_active ? 'active' : 'deactivated'}</td>
              <td>{formatTime(user.created_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
