/**
 * The auth-service's admin view of one user (issue 17): GET /admin/auth/users/:id (live
 * sessions, identities, second factors, passkeys), and ending one session or removing one
 * passkey as an admin: who may, the 404s that keep one user's things out of another's URL,
 * the revocation feed row, the audit trail with the admin as actor, and the owner's notice.
 * Also what DELETE /admin/auth/users/:id/mfa leaves alone (passkeys).
 */
import { decodeJwt } from 'jose'
import { type TOTP, URI } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, manualClock, type TestApp } from './helper.js'
import { type SmtpSink, startSmtpSink } from './support/smtp-sink.js'
import { SoftAuthenticator } from './support/soft-authenticator.js'

const ORIGIN = 'http://localhost:8080'
const RP_ID = 'localhost'
const PASSWORD = 'juniper-signal-harbor-73'
const ZERO = '00000000-0000-7000-8000-000000000000'
const clock = manualClock()
let t: TestApp
let smtp: SmtpSink
let adminToken: string
let adminId: string
beforeAll(async () => {
  smtp = await startSmtpSink()
  t = await buildTestApp(
    { ISSUER: ORIGIN, RECENT_LOGIN_SECONDS: '300', SMTP_URL: smtp.url },
    { now: clock.now },
  )
  const admin = await signedUp('admin')
  adminToken = admin.token
  adminId = admin.userId
})
afterAll(async () => {
  await t?.close()
  await smtp?.stop()
})

let serial = 0
const uniqueEmail = () => `admin-view${++serial}.${Date.now()}@example.com`

async function api(
  method: string,
  url: string,
  options: { payload?: unknown; token?: string; headers?: Record<string, string> } = {},
) {
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    ...(options.payload !== undefined ? { payload: options.payload as object } : {}),
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
  })
  return {
    status: res.statusCode,
    // biome-ignore lint/suspicious/noExplicitAny: test bodies are read field by field
    body: (res.body ? res.json() : null) as any,
    headers: res.headers,
  }
}
const asAdmin = (method: string, url: string) => api(method, url, { token: adminToken })

async function signedUp(role: 'user' | 'admin' = 'user') {
  const email = uniqueEmail()
  const user = await t.app.accountRules.createUser({
    email,
    password: PASSWORD,
    role,
    emailVerified: true,
  })
  const login = await api('POST', '/auth/login', {
    payload: { email, password: PASSWORD },
    headers: { 'user-agent': 'browser-one' },
  })
  expect(login.status).toBe(200)
  return {
    email,
    userId: user.id,
    token: login.body.access_token as string,
    refreshToken: login.body.refresh_token as string,
    sessionId: decodeJwt(login.body.access_token).sid as string,
  }
}

async function withPasskey() {
  const account = await signedUp()
  const authenticator = new SoftAuthenticator(ORIGIN, RP_ID)
  const options = await api('POST', '/auth/passkeys/register/options', { token: account.token })
  expect(options.status).toBe(200)
  const verify = await api('POST', '/auth/passkeys/register/verify', {
    payload: { response: authenticator.register(options.body), name: 'Desk key' },
    token: account.token,
  })
  expect(verify.status).toBe(201)
  return { ...account, authenticator, passkeyId: verify.body.passkey.id as string }
}

const auditEvents = async (userId: string) => t.app.db.auditEvents.listForUser(userId, 50)

describe('the admin view of a user: who may call it', () => {
  it.each([
    ['GET', `/admin/auth/users/${ZERO}`],
    ['DELETE', `/admin/auth/users/${ZERO}/sessions/${ZERO}`],
    ['DELETE', `/admin/auth/users/${ZERO}/passkeys/${ZERO}`],
  ])('%s %s is 403 for a non-admin and 401 without a token', async (method, url) => {
    const user = await signedUp()
    const asUser = await api(method, url, { token: user.token })
    expect([asUser.status, asUser.body.code]).toEqual([403, 'forbidden'])
    expect((await api(method, url)).status).toBe(401)
  })
})

describe('GET /admin/auth/users/:id', () => {
  it('shows live sessions, identities, second factors and passkeys', async () => {
    const a = await withPasskey()
    // A second session, then one that ends: only live ones are listed.
    const second = await api('POST', '/auth/login', {
      payload: { email: a.email, password: PASSWORD },
      headers: { 'user-agent': 'browser-two' },
    })
    const ended = await api('POST', '/auth/login', {
      payload: { email: a.email, password: PASSWORD },
    })
    await api('POST', '/auth/logout', { payload: { refresh_token: ended.body.refresh_token } })
    await t.app.db.identities.create({
      id: crypto.randomUUID(),
      userId: a.userId,
      provider: 'github',
      providerUserId: 'gh-4242',
      email: a.email,
      createdAt: clock.now(),
    })

    const res = await asAdmin('GET', `/admin/auth/users/${a.userId}`)
    expect(res.status).toBe(200)
    expect(res.body.user_id).toBe(a.userId)
    const sessions = res.body.sessions
    expect(sessions.map((s: { id: string }) => s.id).sort()).toEqual(
      [a.sessionId, decodeJwt(second.body.access_token).sid].sort(),
    )
    const first = sessions.find((s: { id: string }) => s.id === a.sessionId)
    expect(first).toMatchObject({
      user_agent: 'browser-one',
      amr: ['pwd'],
      created_at: clock.now().toISOString(),
      last_used_at: clock.now().toISOString(),
    })
    expect(typeof first.ip).toBe('string')
    expect(Date.parse(first.expires_at)).toBeGreaterThan(clock.now().getTime())
    expect(res.body.identities).toEqual([
      {
        provider: 'github',
        provider_user_id: 'gh-4242',
        email: a.email,
        created_at: clock.now().toISOString(),
      },
    ])
    expect(res.body.second_factor).toEqual({ totp: false, recovery_codes_left: 0 })
    expect(res.body.passkeys).toHaveLength(1)
    expect(res.body.passkeys[0]).toMatchObject({
      id: a.passkeyId,
      name: 'Desk key',
      last_used_at: null,
      backup_eligible: expect.any(Boolean),
      backed_up: expect.any(Boolean),
    })
    // Nothing secret: no refresh token hashes, no public keys, no credential ids.
    expect(JSON.stringify(res.body)).not.toMatch(/token_hash|public_key|credential/i)
  })

  it('counts a confirmed authenticator and its recovery codes', async () => {
    const a = await signedUp()
    const setup = await api('POST', '/auth/mfa/totp/setup', { token: a.token })
    expect(setup.status).toBe(200)
    const app = URI.parse(setup.body.otpauth_uri) as TOTP
    const confirm = await api('POST', '/auth/mfa/totp/confirm', {
      payload: { code: app.generate({ timestamp: clock.now().getTime() }) },
      token: a.token,
    })
    expect(confirm.status).toBe(200)
    const res = await asAdmin('GET', `/admin/auth/users/${a.userId}`)
    expect(res.body.second_factor).toEqual({
      totp: true,
      recovery_codes_left: confirm.body.recovery_codes.length,
    })
  })

  it('is 404 for an unknown user and 400 for an id that is not one', async () => {
    const unknown = await asAdmin('GET', `/admin/auth/users/${ZERO}`)
    expect([unknown.status, unknown.body.code]).toEqual([404, 'not_found'])
    const junk = await asAdmin('GET', '/admin/auth/users/%00')
    expect([junk.status, junk.body.code]).toEqual([400, 'validation_failed'])
  })
})

describe('DELETE /admin/auth/users/:id/sessions/:sessionId', () => {
  it('ends that session only: its refresh token dies, the feed has its row, audited', async () => {
    const a = await signedUp()
    const other = await api('POST', '/auth/login', {
      payload: { email: a.email, password: PASSWORD },
    })
    const feedBefore = await t.app.db.revocations.after(0, 100_000)
    const res = await asAdmin('DELETE', `/admin/auth/users/${a.userId}/sessions/${a.sessionId}`)
    expect(res.status).toBe(204)

    const refresh = await api('POST', '/auth/token/refresh', {
      payload: { refresh_token: a.refreshToken },
    })
    expect([refresh.status, refresh.body.code]).toEqual([401, 'invalid_refresh_token'])
    // The other session lives on.
    const still = await api('POST', '/auth/token/refresh', {
      payload: { refresh_token: other.body.refresh_token },
    })
    expect(still.status).toBe(200)

    const feed = (await t.app.db.revocations.after(0, 100_000)).slice(feedBefore.length)
    expect(feed).toMatchObject([{ kind: 'session', subjectId: a.sessionId, userId: a.userId }])
    const event = (await auditEvents(a.userId)).find((e) => e.type === 'session_revoked')
    expect(event?.actorId).toBe(adminId)
    expect(JSON.parse(event?.data ?? '{}')).toEqual({ session_id: a.sessionId, reason: 'admin' })
    expect((await t.app.db.sessions.findById(a.sessionId))?.revokedReason).toBe('admin')
  })

  it('is 404 for another user’s session, an ended one, and an unknown one', async () => {
    const [a, b] = [await signedUp(), await signedUp()]
    const theirs = await asAdmin('DELETE', `/admin/auth/users/${a.userId}/sessions/${b.sessionId}`)
    expect([theirs.status, theirs.body.code]).toEqual([404, 'not_found'])
    // b's session was not touched by the refused call.
    expect((await t.app.db.sessions.findById(b.sessionId))?.revokedAt).toBeNull()

    await api('POST', '/auth/logout', { payload: { refresh_token: a.refreshToken } })
    const ended = await asAdmin('DELETE', `/admin/auth/users/${a.userId}/sessions/${a.sessionId}`)
    expect([ended.status, ended.body.code]).toEqual([404, 'not_found'])
    const unknown = await asAdmin('DELETE', `/admin/auth/users/${a.userId}/sessions/${ZERO}`)
    expect(unknown.status).toBe(404)
    const junk = await asAdmin('DELETE', `/admin/auth/users/${a.userId}/sessions/nope`)
    expect([junk.status, junk.body.code]).toEqual([400, 'validation_failed'])
    // Nothing audited as an admin ending for a refused call.
    const adminEndings = (await auditEvents(a.userId)).filter(
      (e) => e.type === 'session_revoked' && e.actorId !== null,
    )
    expect(adminEndings).toEqual([])
  })
})

describe('the older admin actions', () => {
  it('record the admin in actor_id: ending every session, rotating a key', async () => {
    const a = await signedUp()
    expect((await asAdmin('DELETE', `/admin/auth/users/${a.userId}/sessions`)).status).toBe(204)
    const ended = (await auditEvents(a.userId)).find((e) => e.type === 'sessions_revoked')
    expect(ended?.actorId).toBe(adminId)
    expect(JSON.parse(ended?.data ?? '{}')).toEqual({ reason: 'admin', count: 1 })

    const rotated = await asAdmin('POST', '/admin/auth/keys/rotate')
    expect(rotated.status).toBe(201)
    const [event] = await t.app.db.auditEvents.list({ types: ['key_rotated'], limit: 1 })
    expect(event?.actorId).toBe(adminId)
    expect(JSON.parse(event?.data ?? '{}')).toEqual({ kid: rotated.body.kid })
  })
})

describe('DELETE /admin/auth/users/:id/passkeys/:passkeyId', () => {
  it('removes the passkey (it signs in no more), audited, and mails the owner', async () => {
    const a = await withPasskey()
    const res = await asAdmin('DELETE', `/admin/auth/users/${a.userId}/passkeys/${a.passkeyId}`)
    expect(res.status).toBe(204)
    expect(await t.app.db.passkeys.listForUser(a.userId)).toEqual([])

    const options = await api('POST', '/auth/passkeys/login/options', { payload: {} })
    const signIn = await api('POST', '/auth/passkeys/login/verify', {
      payload: { response: a.authenticator.assert(options.body) },
    })
    expect([signIn.status, signIn.body.code]).toEqual([401, 'invalid_passkey'])

    const event = (await auditEvents(a.userId)).find((e) => e.type === 'passkey_removed')
    expect(event?.actorId).toBe(adminId)
    expect(JSON.parse(event?.data ?? '{}')).toEqual({ passkey_id: a.passkeyId, by: 'admin' })
    const subject = 'A passkey was removed from your authpair account'
    // The notice of the registration, then that of the removal.
    const mails = await smtp.waitFor(2, a.email)
    const notice = mails.find((m) => m.subject === subject)
    expect(notice?.text).toContain('An administrator removed the passkey named “Desk key”')
  })

  it('is 404 for another user’s passkey or an unknown one; the passkey stays', async () => {
    const [a, b] = [await withPasskey(), await signedUp()]
    const theirs = await asAdmin('DELETE', `/admin/auth/users/${b.userId}/passkeys/${a.passkeyId}`)
    expect([theirs.status, theirs.body.code]).toEqual([404, 'not_found'])
    const unknownUser = await asAdmin('DELETE', `/admin/auth/users/${ZERO}/passkeys/${a.passkeyId}`)
    expect(unknownUser.status).toBe(404)
    const unknown = await asAdmin('DELETE', `/admin/auth/users/${a.userId}/passkeys/${ZERO}`)
    expect(unknown.status).toBe(404)
    expect(await t.app.db.passkeys.listForUser(a.userId)).toHaveLength(1)
  })

  it('refuses to remove the only way an account signs in (409 last_sign_in_method)', async () => {
    const a = await withPasskey()
    // A passkey-only account: no password, no provider.
    await t.app.db.users.update(a.userId, { passwordHash: null, updatedAt: clock.now() })
    const res = await asAdmin('DELETE', `/admin/auth/users/${a.userId}/passkeys/${a.passkeyId}`)
    expect([res.status, res.body.code]).toEqual([409, 'last_sign_in_method'])
    expect(await t.app.db.passkeys.listForUser(a.userId)).toHaveLength(1)
  })
})

describe('DELETE /admin/auth/users/:id/mfa', () => {
  it('removes the authenticator and recovery codes, and leaves passkeys alone', async () => {
    const a = await withPasskey()
    const setup = await api('POST', '/auth/mfa/totp/setup', { token: a.token })
    const app = URI.parse(setup.body.otpauth_uri) as TOTP
    const confirm = await api('POST', '/auth/mfa/totp/confirm', {
      payload: { code: app.generate({ timestamp: clock.now().getTime() }) },
      token: a.token,
    })
    expect(confirm.status).toBe(200)
    expect((await asAdmin('DELETE', `/admin/auth/users/${a.userId}/mfa`)).status).toBe(204)
    const view = await asAdmin('GET', `/admin/auth/users/${a.userId}`)
    expect(view.body.second_factor).toEqual({ totp: false, recovery_codes_left: 0 })
    expect(view.body.passkeys.map((p: { id: string }) => p.id)).toEqual([a.passkeyId])
  })
})

// Last: it moves the clock past every session's absolute expiry, the admin's own included.
describe('an expired session', () => {
  it('is 404: only a live session can be ended', async () => {
    const a = await signedUp()
    clock.advance(t.config.SESSION_ABSOLUTE_TTL_SECONDS + 1)
    const admin = await t.app.db.users.findById(adminId)
    const login = await api('POST', '/auth/login', {
      payload: { email: admin?.email, password: PASSWORD },
    })
    expect(login.status).toBe(200)
    const res = await api('DELETE', `/admin/auth/users/${a.userId}/sessions/${a.sessionId}`, {
      token: login.body.access_token,
    })
    expect([res.status, res.body.code]).toEqual([404, 'not_found'])
  })
})
