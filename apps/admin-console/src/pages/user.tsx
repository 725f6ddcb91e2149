import type { AdminAuthUser, AdminUser, AuditEventList } from '@authpair/contracts'
import { api } from '../api.js'
import { confirmAction } from '../components/confirm.js'
import { Notice } from '../components/notice.js'
import { useAction, useLoad } from '../components/use-load.js'
import { formatTime } from '../format.js'
import { hrefOf } from '../router.js'
import { AuditTable } from './audit.js'

/**
 * One user: the profile (users-service), sessions, identities and factors (auth-service), the
 * recent audit events; every action confirmed first, and audited by the API.
 */
export function UserPage({ id }: { id: string }) {
  const path = `/admin/users/${encodeURIComponent(id)}`
  const authPath = `/admin/auth/users/${encodeURIComponent(id)}`
  const user = useLoad(() => api.get<AdminUser>(path), id)
  const details = useLoad(() => api.get<AdminAuthUser>(authPath), id)
  const audit = useLoad(
    () => api.get<AuditEventList>('/admin/audit', { user_id: id, limit: 20 }),
    id,
  )
  const [run, error, done] = useAction()

  const refresh = () => {
    user.reload()
    details.reload()
    audit.reload()
  }
  /** Confirm, call, refresh, and say what happened. */
  const act = (question: string, label: string, call: () => Promise<unknown>, said: string) =>
    run(async () => {
      if (!(await confirmAction(question, label))) return 'Nothing was changed.'
      await call()
      refresh()
      return said
    })

  if (user.error) return <Notice error={user.error} />
  if (!user.data) return <p class="loading">Loading…</p>
  const profile = user.data
  const who = profile.email ?? profile.id

  return (
    <section aria-labelledby="user-title">
      <p>
        <a href={hrefOf.users}>← Users</a>
      </p>
      <h1 id="user-title">{who}</h1>
      <dl class="profile">
        <dt>Id</dt>
        <dd>
          <code>{profile.id}</code>
        </dd>
        <dt>Name</dt>
        <dd>{profile.name ?? '—'}</dd>
        <dt>Email verified</dt>
        <dd>{profile.email_verified ? 'yes' : 'no'}</dd>
        <dt>Role</dt>
        <dd id="profile-role">{profile.role}</dd>
        <dt>State</dt>
        <dd id="profile-state">{profile.is_active ? 'active' : 'deactivated'}</dd>
        <dt>Created</dt>
        <dd>{formatTime(profile.created_at)}</dd>
        <dt>Providers</dt>
        <dd>{profile.providers.length ? profile.providers.join(', ') : '—'}</dd>
      </dl>

      <h2>Actions</h2>
      <div class="actions">
        {profile.is_active ? (
          <button
            type="button"
            id="deactivate"
            class="danger"
            onClick={() =>
              act(
                `Deactivate ${who}? Their sessions end and they cannot sign in.`,
                'Deactivate',
                () => api.send('PATCH', path, { is_active: false }),
                'Deactivated.',
              )
            }
          >
            Deactivate
          </button>
        ) : (
          <button
            type="button"
            id="reactivate"
            onClick={() =>
              act(
                `Reactivate ${who}?`,
                'Reactivate',
                () => api.send('PATCH', path, { is_active: true }),
                'Reactivated.',
              )
            }
          >
            Reactivate
          </button>
        )}
        <button
          type="button"
          id="change-role"
          onClick={() => {
            const role = profile.role === 'admin' ? 'user' : 'admin'
            return act(
              `Make ${who} ${role === 'admin' ? 'an admin' : 'a user'}? Their sessions end.`,
              `Make ${role}`,
              () => api.send('PATCH', path, { role }),
              `Role is now ${role}.`,
            )
          }}
        >
          {profile.role === 'admin' ? 'Make user' : 'Make admin'}
        </button>
        <button
          type="button"
          id="end-sessions"
          onClick={() =>
            act(
              `End every session of ${who}? Their refresh tokens stop working at once.`,
              'End all sessions',
              () => api.send('DELETE', `${authPath}/sessions`),
              'All sessions ended.',
            )
          }
        >
          End all sessions
        </button>
        <button
          type="button"
          id="delete-user"
          class="danger"
          onClick={() =>
            run(async () => {
              if (!(await confirmAction(`Delete ${who} for good?`, 'Delete'))) {
                return 'Nothing was changed.'
              }
              await api.send('DELETE', path)
              location.hash = hrefOf.users
              return 'Deleted.'
            })
          }
        >
          Delete
        </button>
      </div>
      <Notice error={error} done={done} />

      <h2>Sessions</h2>
      {details.error ? <Notice error={details.error} /> : null}
      {details.data && details.data.sessions.length === 0 && <p>No live session.</p>}
      {details.data && details.data.sessions.length > 0 && (
        <div class="table-wrap">
          <table id="sessions">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Last used</th>
                <th scope="col">Address</th>
                <th scope="col">Client</th>
                <th scope="col">Methods</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {details.data.sessions.map((session) => (
                <tr key={session.id}>
                  <td>{formatTime(session.created_at)}</td>
                  <td>{formatTime(session.last_used_at)}</td>
                  <td>{session.ip ?? '—'}</td>
                  <td class="clip">{session.user_agent ?? '—'}</td>
                  <td>{session.amr.join(', ') || '—'}</td>
                  <td>
                    <button
                      type="button"
                      aria-label={`End the session started ${formatTime(session.created_at)}`}
                      onClick={() =>
                        act(
                          'End this session?',
                          'End session',
                          () => api.send('DELETE', `${authPath}/sessions/${session.id}`),
                          'Session ended.',
                        )
                      }
                    >
                      End
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>Identities</h2>
      {details.data && details.data.identities.length === 0 && <p>No linked provider.</p>}
      {details.data && details.data.identities.length > 0 && (
        <ul>
          {details.data.identities.map((identity) => (
            <li key={`${identity.provider}:${identity.provider_user_id}`}>
              {identity.provider}
              {identity.email ? ` (${identity.email})` : ''}, linked{' '}
              {formatTime(identity.created_at)}
            </li>
          ))}
        </ul>
      )}

      <h2>Second factors</h2>
      {details.data && (
        <ul id="factors">
          <li>
            Authenticator app: {details.data.second_factor.totp ? 'on' : 'off'}
            {details.data.second_factor.totp &&
              `, ${details.data.second_factor.recovery_codes_left} recovery codes left`}{' '}
            {details.data.second_factor.totp && (
              <button
                type="button"
                id="remove-totp"
                class="danger"
                onClick={() =>
                  act(
                    `Remove the authenticator app and recovery codes of ${who}? They are told by mail.`,
                    'Remove',
                    () => api.send('DELETE', `${authPath}/mfa`),
                    'Authenticator app removed.',
                  )
                }
              >
                Remove
              </button>
            )}
          </li>
          {details.data.passkeys.map((passkey) => (
            <li key={passkey.id}>
              Passkey “{passkey.name}”, added {formatTime(passkey.created_at)}, last used{' '}
              {formatTime(passkey.last_used_at)}{' '}
              <button
                type="button"
                class="danger"
                aria-label={`Remove the passkey ${passkey.name}`}
                onClick={() =>
                  act(
                    `Remove the passkey “${passkey.name}” of ${who}?`,
                    'Remove',
                    () => api.send('DELETE', `${authPath}/passkeys/${passkey.id}`),
                    'Passkey removed.',
                  )
                }
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}

      <h2>Recent events</h2>
      {audit.error ? <Notice error={audit.error} /> : null}
      {audit.data && <AuditTable events={audit.data.items} showUser={false} />}
    </section>
  )
}
