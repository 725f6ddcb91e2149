/**
 * What one service does to an account, the other honours at once: a session the auth-service
 * starts is the users-service's caller, a logout at the auth-service ends the token at the
 * users-service, and an account deleted or deactivated at the users-service can no longer
 * refresh at the auth-service. Each service's own side of these is tested in its own suite
 * (users-service/test/profile.test.ts, admin-users.test.ts and me.test.ts, with a stand-in
 * issuer); here the real pair checks that the two sides meet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD, type Pair, startPair } from './helper.js'

let pair: Pair
beforeAll(async () => {
  pair = await startPair()
})
afterAll(async () => pair?.close())

const as = (token: string) => ({ authorization: `Bearer ${token}` })
const refresh = (refreshToken: string) =>
  pair.auth.inject({
    method: 'POST',
    url: '/auth/token/refresh',
    payload: { refresh_token: refreshToken },
  })

describe('a session the auth-service starts', () => {
  it('is the users-service’s caller: GET /users/me returns that user, without secrets', async () => {
    const { token, userId, email } = await pair.userWithToken()
    const res = await pair.users.inject({ method: 'GET', url: '/users/me', headers: as(token) })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      id: userId,
      email,
      email_verified: false,
      name: null,
      locale: null,
      role: 'user',
      created_at: expect.any(String),
      providers: [],
      mfa_enabled: false,
    })
    expect(res.body).not.toContain('password')
  })

  it('ends at the users-service once it is logged out at the auth-service (the feed)', async () => {
    const { token, refreshToken } = await pair.userWithToken()
    expect(
      (await pair.users.inject({ method: 'GET', url: '/users/me', headers: as(token) })).statusCode,
    ).toBe(200)
    const logout = await pair.auth.inject({
      method: 'POST',
      url: '/auth/logout',
      payload: { refresh_token: refreshToken },
    })
    expect(logout.statusCode).toBe(204)
    // The users-service learns it from the revocation feed, like any internal service: within
    // a fraction of a second (e2e/test/jwt-verify-package.test.ts measures it), not at expiry.
    const started = Date.now()
    let after = await pair.users.inject({ method: 'GET', url: '/users/me', headers: as(token) })
    while (after.statusCode === 200 && Date.now() - started < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      after = await pair.users.inject({ method: 'GET', url: '/users/me', headers: as(token) })
    }
    expect(after.statusCode).toBe(401)
    expect(after.json().code).toBe('invalid_token')
  })
})

describe('an account changed at the users-service', () => {
  it('deleted with DELETE /users/me: its refresh token is refused at the auth-service', async () => {
    const { token, userId, refreshToken } = await pair.userWithToken()
    const res = await pair.users.inject({
      method: 'DELETE',
      url: '/users/me',
      headers: as(token),
      payload: { password: PASSWORD },
    })
    expect(res.statusCode).toBe(204)
    expect(await pair.users.db.users.findById(userId)).toBeUndefined()
    expect(
      (await pair.users.inject({ method: 'GET', url: '/users/me', headers: as(token) })).statusCode,
    ).toBe(401)
    expect((await refresh(refreshToken)).statusCode).toBe(401)
  })

  it('deactivated by an admin: every session ends, at both services', async () => {
    const admin = await pair.userWithToken('admin')
    const victim = await pair.userWithToken()
    const res = await pair.users.inject({
      method: 'PATCH',
      url: `/admin/users/${victim.userId}`,
      headers: as(admin.token),
      payload: { is_active: false },
    })
    expect(res.json().is_active).toBe(false)
    expect(
      (await pair.users.inject({ method: 'GET', url: '/users/me', headers: as(victim.token) }))
        .statusCode,
    ).toBe(401)
    expect((await refresh(victim.refreshToken)).statusCode).toBe(401)
  })
})
