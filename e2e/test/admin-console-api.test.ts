/**
 * The admin console's API across the real pair (issue 17): what the auth-service records and
 * ends, the users-service's admin API shows. A sign-in at the auth-service appears in
 * GET /admin/audit and as last_login_at; an admin ending that one session through
 * /admin/auth/users/:id/sessions/:sessionId is audited with the admin as actor, and the
 * session's token stops working at the users-service (the revocation feed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD, type Pair, startPair } from './helper.js'

let pair: Pair
beforeAll(async () => {
  pair = await startPair()
})
afterAll(async () => pair?.close())

const as = (token: string) => ({ authorization: `Bearer ${token}` })

describe('the admin console API across both services', () => {
  it('shows the auth-service’s sign-in and an admin’s session ending in the users-service’s audit', async () => {
    const admin = await pair.userWithToken('admin')
    const { userId, email } = await pair.userWithToken()
    const login = await pair.auth.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email, password: PASSWORD },
    })
    expect(login.statusCode).toBe(200)
    const token = login.json().access_token as string

    const view = await pair.auth.inject({
      method: 'GET',
      url: `/admin/auth/users/${userId}`,
      headers: as(admin.token),
    })
    expect(view.statusCode).toBe(200)
    // The helper's session and the password sign-in.
    expect(view.json().sessions).toHaveLength(2)
    const signedIn = view
      .json()
      .sessions.find((s: { amr: string[]; user_agent: string | null }) => s.user_agent !== 'vitest')
    expect(signedIn.amr).toEqual(['pwd'])

    const profile = await pair.users.inject({
      method: 'GET',
      url: `/admin/users/${userId}`,
      headers: as(admin.token),
    })
    expect(profile.json().last_login_at).toEqual(expect.any(String))

    const ended = await pair.auth.inject({
      method: 'DELETE',
      url: `/admin/auth/users/${userId}/sessions/${signedIn.id}`,
      headers: as(admin.token),
    })
    expect(ended.statusCode).toBe(204)

    const audit = await pair.users.inject({
      method: 'GET',
      url: `/admin/audit?user_id=${userId}&type=login_succeeded&type=session_revoked`,
      headers: as(admin.token),
    })
    expect(audit.statusCode).toBe(200)
    expect(audit.json().items).toMatchObject([
      {
        type: 'session_revoked',
        user_id: userId,
        actor_id: admin.userId,
        details: { session_id: signedIn.id, reason: 'admin' },
      },
      { type: 'login_succeeded', user_id: userId, actor_id: null },
    ])

    // The users-service follows the feed: the ended session's token is refused within moments.
    const started = Date.now()
    let me = await pair.users.inject({ method: 'GET', url: '/users/me', headers: as(token) })
    while (me.statusCode === 200 && Date.now() - started < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      me = await pair.users.inject({ method: 'GET', url: '/users/me', headers: as(token) })
    }
    expect(me.statusCode).toBe(401)
  })
})
