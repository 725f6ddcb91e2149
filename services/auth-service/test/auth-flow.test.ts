import { randomUUID } from 'node:crypto'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, manualClock, type TestApp } from './helper.js'

const clock = manualClock()
let t: TestApp
beforeAll(async () => {
  t = await buildTestApp({}, { now: clock.now })
})
afterAll(async () => t?.close())

let counter = 0
const uniqueEmail = () => `user${++counter}.${Date.now()}@example.com`
const PASSWORD = 'plum-violin-harbor-42'

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, payload: payload as object, headers })

async function registered(email = uniqueEmail(), password = PASSWORD) {
  const res = await post('/auth/register', { email, password })
  expect(res.statusCode).toBe(201)
  return { email, password, user: res.json().user }
}

async function loggedIn(email?: string) {
  const account = await registered(email)
  const res = await post('/auth/login', { email: account.email, password: account.password })
  expect(res.statusCode).toBe(200)
  return { ...account, pair: res.json() as { access_token: string; refresh_token: string } }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

describe('POST /auth/register', () => {
  it('creates an account and returns its profile, email trimmed and lower-cased', async () => {
    const res = await post('/auth/register', {
      email: '  New.Person@Example.COM ',
      password: PASSWORD,
      name: 'New Person',
    })
    expect(res.statusCode).toBe(201)
    expect(res.json().user).toMatchObject({
      email: 'new.person@example.com',
      email_verified: false,
      name: 'New Person',
      role: 'user',
      providers: [],
    })
    expect(res.body).not.toContain('password')
  })

  it('refuses the same mailbox in another case with 409 email_taken', async () => {
    const { email } = await registered()
    const res = await post('/auth/register', { email: email.toUpperCase(), password: PASSWORD })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('email_taken')
  })

  it.each([
    ['a common password', 'someone@example.com', 'password123', 'password_rejected'],
    [
      'a password containing the email',
      'janedoe@example.com',
      'janedoe-secret',
      'password_rejected',
    ],
    ['a short password', 'shorty@example.com', 'short', 'validation_failed'],
  ])('refuses %s with 400 %s', async (_name, email, password, code) => {
    const res = await post('/auth/register', { email, password })
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe(code)
    expect(res.json().errors[0].path).toBe('body.password')
  })

  it('refuses a role in the body (no self-made admins)', async () => {
    const res = await post('/auth/register', {
      email: uniqueEmail(),
      password: PASSWORD,
      role: 'admin',
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe('validation_failed')
  })
})

describe('POST /auth/login', () => {
  it('returns an RFC 9068 access token and a refresh token, never cached', async () => {
    const { pair, user, email } = await loggedIn()
    expect(pair).toMatchObject({ token_type: 'Bearer', expires_in: 900 })
    expect(pair.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const jwks = (await t.app.inject({ method: 'GET', url: '/auth/.well-known/jwks.json' })).json()
    const { payload, protectedHeader } = await jwtVerify(
      pair.access_token,
      createLocalJWKSet(jwks),
      {
        issuer: 'http://localhost:8080',
        audience: 'authpair-api',
        typ: 'at+jwt',
        algorithms: ['RS256'],
        currentDate: clock.now(),
      },
    )
    expect(protectedHeader.kid).toBe(t.app.keys.activeKey().kid)
    expect(payload).toMatchObject({ sub: user.id, role: 'user' })
    for (const claim of ['exp', 'iat', 'jti', 'sid']) expect(payload).toHaveProperty(claim)
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(900)
    expect(email).toContain('@')

    const res = await post('/auth/login', { email, password: PASSWORD })
    expect(res.headers['cache-control']).toBe('no-store')
  })

  it('answers an unknown email and a wrong password with the same 401 body', async () => {
    const { email } = await registered()
    const wrong = await post('/auth/login', { email, password: 'not-the-password' })
    const unknown = await post('/auth/login', {
      email: uniqueEmail(),
      password: 'not-the-password',
    })
    expect(wrong.statusCode).toBe(401)
    expect(unknown.statusCode).toBe(401)
    const strip = (body: Record<string, unknown>) => ({ ...body, request_id: undefined })
    expect(strip(unknown.json())).toEqual(strip(wrong.json()))
    expect(wrong.json().code).toBe('invalid_credentials')
  })
})

describe('POST /auth/token/refresh', () => {
  it('rotates: the new refresh token works once, the spent one is refused', async () => {
    const { pair } = await loggedIn()
    const first = await post('/auth/token/refresh', { refresh_token: pair.refresh_token })
    expect(first.statusCode).toBe(200)
    const next = first.json()
    expect(next.refresh_token).not.toBe(pair.refresh_token)
    expect(decodeProtectedHeader(next.access_token).typ).toBe('at+jwt')
    expect(
      (await post('/auth/token/refresh', { refresh_token: next.refresh_token })).statusCode,
    ).toBe(200)
  })

  it('gives a client that lost a response a working pair within the leeway, revoking nothing', async () => {
    const { pair } = await loggedIn()
    const lost = await post('/auth/token/refresh', { refresh_token: pair.refresh_token })
    expect(lost.statusCode).toBe(200)
    clock.advance(2)
    const retry = await post('/auth/token/refresh', { refresh_token: pair.refresh_token })
    expect(retry.statusCode).toBe(200)
    const again = await post('/auth/token/refresh', { refresh_token: retry.json().refresh_token })
    expect(again.statusCode).toBe(200)
  })

  it('revokes the whole session when a spent token comes back after the leeway', async () => {
    const { pair } = await loggedIn()
    const legit = (await post('/auth/token/refresh', { refresh_token: pair.refresh_token })).json()
    clock.advance(60)
    const replay = await post('/auth/token/refresh', { refresh_token: pair.refresh_token })
    expect(replay.statusCode).toBe(401)
    expect(replay.json().code).toBe('invalid_refresh_token')
    // the thief's replay also ends the legitimate holder's session
    const victim = await post('/auth/token/refresh', { refresh_token: legit.refresh_token })
    expect(victim.statusCode).toBe(401)
    const sessions = await t.app.inject({
      method: 'GET',
      url: '/auth/sessions',
      headers: bearer(legit.access_token),
    })
    expect(sessions.statusCode).toBe(401)
  })

  it('refuses an unknown or malformed refresh token with 401 or 400', async () => {
    expect((await post('/auth/token/refresh', { refresh_token: 'x'.repeat(43) })).json().code).toBe(
      'invalid_refresh_token',
    )
    expect((await post('/auth/token/refresh', {})).statusCode).toBe(400)
  })

  it('signs the refreshed access token with the user’s current role, and ends a disabled user’s session', async () => {
    const { pair, user } = await loggedIn()
    await t.app.db.users.update(user.id, { role: 'admin', updatedAt: clock.now() })
    const promoted = await post('/auth/token/refresh', { refresh_token: pair.refresh_token })
    expect(promoted.statusCode).toBe(200)
    const claims = JSON.parse(
      Buffer.from(promoted.json().access_token.split('.')[1], 'base64url').toString(),
    )
    expect(claims.role).toBe('admin')
    await t.app.db.users.update(user.id, { isActive: false, updatedAt: clock.now() })
    const refused = await post('/auth/token/refresh', {
      refresh_token: promoted.json().refresh_token,
    })
    expect(refused.statusCode).toBe(401)
    expect(refused.json().code).toBe('invalid_refresh_token')
    const sessions = await t.app.db.sessions.listActive(user.id, clock.now())
    expect(sessions).toEqual([])
  })

  it('refuses a refresh token past its idle lifetime', async () => {
    const { pair } = await loggedIn()
    clock.advance(14 * 86_400 + 1)
    const res = await post('/auth/token/refresh', { refresh_token: pair.refresh_token })
    expect(res.statusCode).toBe(401)
  })
})

describe('sessions', () => {
  it('logout ends the session and is idempotent', async () => {
    const { pair } = await loggedIn()
    expect((await post('/auth/logout', { refresh_token: pair.refresh_token })).statusCode).toBe(204)
    expect((await post('/auth/logout', { refresh_token: pair.refresh_token })).statusCode).toBe(204)
    expect((await post('/auth/logout', { refresh_token: 'unknown-token' })).statusCode).toBe(204)
    expect(
      (await post('/auth/token/refresh', { refresh_token: pair.refresh_token })).statusCode,
    ).toBe(401)
    const res = await t.app.inject({
      method: 'GET',
      url: '/auth/sessions',
      headers: bearer(pair.access_token),
    })
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('invalid_token')
  })

  it('lists the caller’s sessions with the current one marked, and what the gateway saw', async () => {
    const { email } = await loggedIn()
    const second = (
      await t.app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { email, password: PASSWORD },
        headers: { 'user-agent': 'phone/1.0' },
        remoteAddress: '127.0.0.1',
      })
    ).json()
    const res = await t.app.inject({
      method: 'GET',
      url: '/auth/sessions',
      headers: bearer(second.access_token),
    })
    expect(res.statusCode).toBe(200)
    const items = res.json().items as { current: boolean; user_agent: string; ip: string }[]
    expect(items).toHaveLength(2)
    expect(items.filter((s) => s.current)).toHaveLength(1)
    expect(items.find((s) => s.current)).toMatchObject({ user_agent: 'phone/1.0', ip: '127.0.0.1' })
  })

  it('will not touch another user’s session (404), and ends one’s own (204)', async () => {
    const alice = await loggedIn()
    const bob = await loggedIn()
    const bobSessions = (
      await t.app.inject({
        method: 'GET',
        url: '/auth/sessions',
        headers: bearer(bob.pair.access_token),
      })
    ).json().items as { id: string }[]
    const bobSession = bobSessions[0]?.id ?? ''
    const foreign = await t.app.inject({
      method: 'DELETE',
      url: `/auth/sessions/${bobSession}`,
      headers: bearer(alice.pair.access_token),
    })
    expect(foreign.statusCode).toBe(404)
    expect(
      (await post('/auth/token/refresh', { refresh_token: bob.pair.refresh_token })).statusCode,
    ).toBe(200)

    const own = await t.app.inject({
      method: 'DELETE',
      url: `/auth/sessions/${bobSession}`,
      headers: bearer(bob.pair.access_token),
    })
    expect(own.statusCode).toBe(204)
  })

  it('logout-all ends every session of the caller', async () => {
    const { email, pair } = await loggedIn()
    const other = (await post('/auth/login', { email, password: PASSWORD })).json()
    const res = await post('/auth/logout-all', undefined, bearer(pair.access_token))
    expect(res.statusCode).toBe(204)
    for (const token of [pair.refresh_token, other.refresh_token]) {
      expect((await post('/auth/token/refresh', { refresh_token: token })).statusCode).toBe(401)
    }
  })

  it('refuses a client token on every session route: 403 forbidden, it has no session', async () => {
    // What the token endpoint issues for the client-credentials grant (docs/design.md, Tokens),
    // signed by this service's own key, with the client id set to a real user's id: it must
    // still not act as that user.
    const { user } = await loggedIn()
    const key = t.app.keys.activeKey()
    const iat = Math.floor(clock.now().getTime() / 1000)
    const client = await new SignJWT({ client_id: user.id, scope: 'users:read' })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(t.config.ISSUER)
      .setAudience(t.config.JWT_AUDIENCE)
      .setSubject(user.id)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 300)
      .setJti(randomUUID())
      .sign(key.privateKey)
    for (const [method, url] of [
      ['GET', '/auth/sessions'],
      ['POST', '/auth/logout-all'],
      ['GET', '/auth/identities'],
      ['POST', '/auth/email/verify/resend'],
      ['GET', '/admin/auth/keys'],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: bearer(client) })
      expect({ url, status: res.statusCode, code: res.json().code }).toEqual({
        url,
        status: 403,
        code: 'forbidden',
      })
    }
    expect(await t.app.db.sessions.listActive(user.id, clock.now())).toHaveLength(1)
  })

  it('bearer routes answer 401 problem+json without a token', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/auth/sessions' })
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('unauthorized')
  })
})

describe('POST /auth/password/change', () => {
  it('changes the password, keeps this session, ends the others', async () => {
    const { email, pair } = await loggedIn()
    const other = (await post('/auth/login', { email, password: PASSWORD })).json()
    const wrong = await post(
      '/auth/password/change',
      { current_password: 'not-it', new_password: 'a-brand-new-passphrase' },
      bearer(pair.access_token),
    )
    expect(wrong.statusCode).toBe(401)
    const weak = await post(
      '/auth/password/change',
      { current_password: PASSWORD, new_password: 'qwertyuiop' },
      bearer(pair.access_token),
    )
    expect(weak.statusCode).toBe(400)
    expect(weak.json().code).toBe('password_rejected')

    const ok = await post(
      '/auth/password/change',
      { current_password: PASSWORD, new_password: 'a-brand-new-passphrase' },
      bearer(pair.access_token),
    )
    expect(ok.statusCode).toBe(204)
    expect(
      (await post('/auth/token/refresh', { refresh_token: other.refresh_token })).statusCode,
    ).toBe(401)
    expect(
      (await post('/auth/token/refresh', { refresh_token: pair.refresh_token })).statusCode,
    ).toBe(200)
    expect((await post('/auth/login', { email, password: PASSWORD })).statusCode).toBe(401)
    expect(
      (await post('/auth/login', { email, password: 'a-brand-new-passphrase' })).statusCode,
    ).toBe(200)
  })
})

describe('audit trail', () => {
  it('records login success and failure, reuse, and password change with who and from where', async () => {
    const { email, pair, user } = await loggedIn()
    await post('/auth/login', { email, password: 'wrong-one' })
    await post('/auth/token/refresh', { refresh_token: pair.refresh_token })
    clock.advance(60)
    await post('/auth/token/refresh', { refresh_token: pair.refresh_token })
    const events = await t.app.db.auditEvents.listForUser(user.id, 50)
    const types = events.map((e) => e.type)
    expect(types).toEqual(
      expect.arrayContaining([
        'user_registered',
        'login_succeeded',
        'login_failed',
        'refresh_token_reused',
      ]),
    )
    expect(events.every((e) => e.ip === '127.0.0.1' && e.requestId)).toBe(true)
    expect(JSON.stringify(events)).not.toContain(PASSWORD)
  })
})
