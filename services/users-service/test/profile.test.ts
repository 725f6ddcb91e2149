import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD, type Pair, startUsersService } from './helper.js'

let pair: Pair
beforeAll(async () => {
  pair = await startUsersService()
})
afterAll(async () => pair?.close())

const as = (token: string) => ({ authorization: `Bearer ${token}` })

describe('PATCH /users/me', () => {
  it('changes name and locale', async () => {
    const { token } = await pair.userWithToken()
    const res = await pair.users.inject({
      method: 'PATCH',
      url: '/users/me',
      headers: as(token),
      payload: { name: 'Grace Hopper', locale: 'ru' },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ name: 'Grace Hopper', locale: 'ru' })
  })

  it.each([
    ['role', 'admin'],
    ['email', 'x@example.com'],
    ['is_active', false],
    ['id', 'someone'],
    ['email_verified', true],
  ])('refuses %s with 400 and changes nothing', async (field, value) => {
    const { token, userId } = await pair.userWithToken()
    const res = await pair.users.inject({
      method: 'PATCH',
      url: '/users/me',
      headers: as(token),
      payload: { name: 'Sneaky', [field]: value },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe('validation_failed')
    const user = await pair.users.db.users.findById(userId)
    expect(user).toMatchObject({ role: 'user', isActive: true, name: null })
  })

  it('refuses a malformed locale', async () => {
    const { token } = await pair.userWithToken()
    const res = await pair.users.inject({
      method: 'PATCH',
      url: '/users/me',
      headers: as(token),
      payload: { locale: 'not a locale!' },
    })
    expect(res.statusCode).toBe(400)
  })
})

describe('revocation (REVOCATION_CHECK: the feed, as any internal service follows it)', () => {
  // Through the auth-service's own feed: e2e/test/account-changes.test.ts and
  // e2e/test/jwt-verify-package.test.ts. Here the stand-in issuer serves the same rows.
  const me = (token: string) =>
    pair.users.inject({ method: 'GET', url: '/users/me', headers: as(token) })

  it('stops accepting a token once its session is revoked, and only that session’s', async () => {
    const { token, sessionId } = await pair.userWithToken()
    const bystander = await pair.userWithToken()
    expect((await me(token)).statusCode).toBe(200)
    expect(
      await pair.users.db.sessions.revoke(sessionId, { now: new Date(), reason: 'logout' }),
    ).toBe(true)
    const started = Date.now()
    let after = await me(token)
    while (after.statusCode === 200 && Date.now() - started < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      after = await me(token)
    }
    expect(after.statusCode).toBe(401)
    expect(after.json().code).toBe('invalid_token')
    expect((await me(bystander.token)).statusCode).toBe(200)
    // No read of the sessions table decides it: the feed does.
    expect(pair.users.jwtVerifier.revocations?.status().entries).toBeGreaterThan(0)
  })
})

describe('DELETE /users/me', () => {
  it('refuses a wrong password and keeps the account', async () => {
    const { token, userId } = await pair.userWithToken()
    const res = await pair.users.inject({
      method: 'DELETE',
      url: '/users/me',
      headers: as(token),
      payload: { password: 'not-my-password' },
    })
    expect(res.statusCode).toBe(401)
    expect(await pair.users.db.users.findById(userId)).toBeDefined()
  })

  it('deletes the account with the password: sessions end, the data is gone', async () => {
    const { token, userId, sessionId } = await pair.userWithToken()
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
    expect(await pair.users.db.sessions.findById(sessionId)).toBeUndefined()
    // Its refresh token refused by the auth-service: e2e/test/account-changes.test.ts.
  })

  it('accepts a session signed in moments ago instead of the password', async () => {
    const { token, userId } = await pair.userWithToken()
    const res = await pair.users.inject({ method: 'DELETE', url: '/users/me', headers: as(token) })
    expect(res.statusCode, res.body).toBe(204)
    expect(await pair.users.db.users.findById(userId)).toBeUndefined()
  })
})

describe('DELETE /users/me with wrong passwords', () => {
  it('stops guessing with a stolen access token (429 past the limit, even for the right one)', async () => {
    const limited = await startUsersService({ RATE_LIMIT_PASSWORD_CONFIRM_PER_USER: '3' })
    try {
      const { token, userId } = await limited.userWithToken()
      const remove = (password: string) =>
        limited.users.inject({
          method: 'DELETE',
          url: '/users/me',
          headers: as(token),
          payload: { password },
        })
      for (let i = 0; i < 3; i++) expect((await remove(`guess-${i}-wrong`)).statusCode).toBe(401)
      const res = await remove(PASSWORD)
      expect(res.statusCode).toBe(429)
      expect(res.json().code).toBe('rate_limited')
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
      expect(await limited.users.db.users.findById(userId)).toBeDefined()
    } finally {
      await limited.close()
    }
  })
})

describe('DELETE /users/me with an old session', () => {
  it('asks for the password (403 recent_login_required)', async () => {
    const strict = await startUsersService({ RECENT_LOGIN_SECONDS: '0' })
    try {
      const { token, userId } = await strict.userWithToken()
      await new Promise((r) => setTimeout(r, 5)) // the session is now older than 0 s
      const res = await strict.users.inject({
        method: 'DELETE',
        url: '/users/me',
        headers: as(token),
      })
      expect(res.statusCode).toBe(403)
      expect(res.json().code).toBe('recent_login_required')
      expect(await strict.users.db.users.findById(userId)).toBeDefined()
    } finally {
      await strict.close()
    }
  })
})
