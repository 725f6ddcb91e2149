/**
 * Passkeys (issue 16) through the HTTP API with a scripted authenticator
 * (test/support/soft-authenticator.ts), on the run's database with a clock the test moves:
 * registration and both ways of signing in, then every way an assertion must fail (replayed,
 * wrong origin, wrong RP ID hash, no UV flag, an unregistered key, a sign count going
 * backwards, an expired or reused challenge), the list and its changes (recent sign-in, the
 * last way to sign in), and the second-factor rule on /admin. test/passkeys-browser.test.ts
 * does the same with Chromium's virtual authenticator.
 */
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, manualClock, type TestApp } from './helper.js'
import { type SmtpSink, startSmtpSink } from './support/smtp-sink.js'
import { SoftAuthenticator } from './support/soft-authenticator.js'

const ORIGIN = 'http://localhost:8080'
const RP_ID = 'localhost'
const clock = manualClock()
let t: TestApp
let smtp: SmtpSink
beforeAll(async () => {
  smtp = await startSmtpSink()
  t = await buildTestApp(
    {
      ISSUER: ORIGIN,
      MFA_REQUIRED_ROLES: 'admin',
      RECENT_LOGIN_SECONDS: '300',
      SMTP_URL: smtp.url,
    },
    { now: clock.now },
  )
})
afterAll(async () => {
  await t?.close()
  await smtp?.stop()
})

const PASSWORD = 'amber-quartz-meadow-58'
let serial = 0
const uniqueEmail = () => `passkey${++serial}.${Date.now()}@example.com`

async function api(method: string, url: string, payload?: unknown, token?: string) {
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    ...(payload !== undefined ? { payload: payload as object } : {}),
    headers: token ? { authorization: `Bearer ${token}` } : {},
  })
  return {
    status: res.statusCode,
    // biome-ignore lint/suspicious/noExplicitAny: test bodies are read field by field
    body: (res.body ? res.json() : null) as any,
    headers: res.headers,
  }
}

async function signedUp(email = uniqueEmail()) {
  expect((await api('POST', '/auth/register', { email, password: PASSWORD })).status).toBe(201)
  const login = await api('POST', '/auth/login', { email, password: PASSWORD })
  expect(login.status).toBe(200)
  const user = await t.app.db.users.findByEmail(email)
  return { email, token: login.body.access_token as string, userId: user?.id ?? '' }
}

async function withPasskey(authenticator = new SoftAuthenticator(ORIGIN, RP_ID)) {
  const account = await signedUp()
  const options = await api('POST', '/auth/passkeys/register/options', undefined, account.token)
  expect(options.status).toBe(200)
  const verify = await api(
    'POST',
    '/auth/passkeys/register/verify',
    { response: authenticator.register(options.body), name: 'Test key' },
    account.token,
  )
  expect(verify.status).toBe(201)
  return { ...account, authenticator, passkeyId: verify.body.passkey.id as string }
}

const loginOptions = async (body: object = {}) => {
  const res = await api('POST', '/auth/passkeys/login/options', body)
  expect(res.status).toBe(200)
  return res.body
}
const loginVerify = (response: unknown, query = '') =>
  api('POST', `/auth/passkeys/login/verify${query}`, { response })
const auditTypes = async (userId: string) =>
  (await t.app.db.auditEvents.listForUser(userId, 50)).map((e) => e.type)

describe('registering a passkey', () => {
  it('offers options for this RP: none attestation, UV required, ES256 among the algorithms', async () => {
    const account = await signedUp()
    const res = await api('POST', '/auth/passkeys/register/options', undefined, account.token)
    expect(res.status).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.body).toMatchObject({
      rp: { id: RP_ID },
      attestation: 'none',
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
    })
    expect(res.body.pubKeyCredParams.map((p: { alg: number }) => p.alg)).toEqual([-8, -7, -257])
  })

  it('stores the passkey and lists it; GET /auth/mfa counts it', async () => {
    const a = await withPasskey()
    const list = await api('GET', '/auth/passkeys', undefined, a.token)
    expect(list.body.items).toEqual([
      expect.objectContaining({ id: a.passkeyId, name: 'Test key', transports: ['internal'] }),
    ])
    expect((await api('GET', '/auth/mfa', undefined, a.token)).body.passkeys).toBe(1)
    expect(await auditTypes(a.userId)).toContain('passkey_added')
  })

  it('refuses a response from another origin or for another RP ID, and a reused challenge', async () => {
    const account = await signedUp()
    for (const bad of [{ origin: 'http://evil.example' }, { rpId: 'evil.example' }]) {
      const options = await api('POST', '/auth/passkeys/register/options', undefined, account.token)
      const response = new SoftAuthenticator(ORIGIN, RP_ID).register(options.body, bad)
      const res = await api('POST', '/auth/passkeys/register/verify', { response }, account.token)
      expect(res.status).toBe(400)
      expect(res.body.code).toBe('invalid_passkey')
    }
    const options = await api('POST', '/auth/passkeys/register/options', undefined, account.token)
    const first = new SoftAuthenticator(ORIGIN, RP_ID).register(options.body)
    const second = new SoftAuthenticator(ORIGIN, RP_ID).register(options.body)
    const ok = await api(
      'POST',
      '/auth/passkeys/register/verify',
      { response: first },
      account.token,
    )
    expect(ok.status).toBe(201)
    const again = await api(
      'POST',
      '/auth/passkeys/register/verify',
      { response: second },
      account.token,
    )
    expect(again.body.code).toBe('invalid_passkey')
    expect(await t.app.db.passkeys.countForUser(account.userId)).toBe(1)
  })

  it("refuses another user's challenge and a malformed body", async () => {
    const [a, b] = [await signedUp(), await signedUp()]
    const options = await api('POST', '/auth/passkeys/register/options', undefined, a.token)
    const response = new SoftAuthenticator(ORIGIN, RP_ID).register(options.body)
    const res = await api('POST', '/auth/passkeys/register/verify', { response }, b.token)
    expect(res.body.code).toBe('invalid_passkey')
    const junk = await api(
      'POST',
      '/auth/passkeys/register/verify',
      { response: { id: 'x' } },
      a.token,
    )
    expect(junk.status).toBe(400)
    expect(junk.body.code).toBe('validation_failed')
  })

  it('needs a recent sign-in', async () => {
    const account = await signedUp()
    clock.advance(301)
    const res = await api('POST', '/auth/passkeys/register/options', undefined, account.token)
    expect([res.status, res.body.code]).toEqual([401, 'recent_login_required'])
  })
})

describe('signing in with a passkey', () => {
  it('signs in usernameless: amr hwk and mfa; cookie mode too', async () => {
    const a = await withPasskey()
    const res = await loginVerify(a.authenticator.assert(await loginOptions()))
    expect(res.status).toBe(200)
    const claims = decodeJwt(res.body.access_token)
    expect(claims.sub).toBe(a.userId)
    expect(claims.amr).toEqual(['hwk', 'mfa'])
    const cookie = await loginVerify(
      a.authenticator.assert(await loginOptions()),
      '?token_delivery=cookie',
    )
    expect(cookie.status).toBe(200)
    expect(cookie.body.refresh_token).toBeUndefined()
    expect(String(cookie.headers['set-cookie'])).toMatch(/HttpOnly/i)
    expect(await auditTypes(a.userId)).toContain('login_succeeded')
  })

  it('says swk for a synced passkey', async () => {
    const a = await withPasskey(new SoftAuthenticator(ORIGIN, RP_ID, { synced: true }))
    const res = await loginVerify(a.authenticator.assert(await loginOptions()))
    expect(decodeJwt(res.body.access_token).amr).toEqual(['swk', 'mfa'])
  })

  it('signs in with an email: its passkeys are the allowed credentials', async () => {
    const a = await withPasskey()
    const options = await loginOptions({ email: a.email.toUpperCase() })
    expect(options.allowCredentials).toEqual([
      expect.objectContaining({ id: a.authenticator.id, type: 'public-key' }),
    ])
    expect((await loginVerify(a.authenticator.assert(options))).status).toBe(200)
  })

  it('answers an unknown email in the same shape, the same way twice', async () => {
    const known = await withPasskey()
    const real = await loginOptions({ email: known.email })
    const first = await loginOptions({ email: 'nobody-here@example.com' })
    const second = await loginOptions({ email: 'nobody-here@example.com' })
    expect(Object.keys(first).sort()).toEqual(Object.keys(real).sort())
    expect(first.allowCredentials).toHaveLength(1)
    expect(Object.keys(first.allowCredentials[0]).sort()).toEqual(
      Object.keys(real.allowCredentials[0]).sort(),
    )
    expect(first.allowCredentials[0].id).toBe(second.allowCredentials[0].id)
    const other = await loginOptions({ email: 'nobody-else@example.com' })
    expect(other.allowCredentials[0].id).not.toBe(first.allowCredentials[0].id)
  })

  it("refuses another account's passkey for an email-first challenge", async () => {
    const [a, b] = [await withPasskey(), await withPasskey()]
    const res = await loginVerify(b.authenticator.assert(await loginOptions({ email: a.email })))
    expect([res.status, res.body.code]).toEqual([401, 'invalid_passkey'])
  })

  it('refuses a replayed assertion and a reused challenge', async () => {
    const a = await withPasskey()
    const response = a.authenticator.assert(await loginOptions())
    expect((await loginVerify(response)).status).toBe(200)
    const replay = await loginVerify(response)
    expect([replay.status, replay.body.code]).toEqual([401, 'invalid_passkey'])
  })

  it('refuses a wrong origin, a wrong RP ID hash, no UV flag, a wrong type, a key not registered', async () => {
    const a = await withPasskey()
    for (const bad of [
      { origin: 'http://localhost:9999' },
      { rpId: 'example.com' },
      { userVerified: false },
      { type: 'webauthn.create' },
    ]) {
      const res = await loginVerify(a.authenticator.assert(await loginOptions(), bad))
      expect([res.status, res.body.code]).toEqual([401, 'invalid_passkey'])
    }
    const stranger = new SoftAuthenticator(ORIGIN, RP_ID)
    const res = await loginVerify(stranger.assert(await loginOptions()))
    expect([res.status, res.body.code]).toEqual([401, 'invalid_passkey'])
    // The right assertion still works: the failures cost the passkey nothing.
    expect((await loginVerify(a.authenticator.assert(await loginOptions()))).status).toBe(200)
  })

  it('refuses a forged signature', async () => {
    const a = await withPasskey()
    const response = a.authenticator.assert(await loginOptions())
    const sig = Buffer.from(response.response.signature, 'base64url')
    sig[sig.length - 1] = (sig.at(-1) ?? 0) ^ 1
    response.response.signature = sig.toString('base64url')
    expect((await loginVerify(response)).body.code).toBe('invalid_passkey')
  })

  it('refuses an expired challenge (5 minutes)', async () => {
    const a = await withPasskey()
    const options = await loginOptions()
    clock.advance(301)
    const res = await loginVerify(a.authenticator.assert(options))
    expect([res.status, res.body.code]).toEqual([401, 'invalid_passkey'])
  })

  it('refuses a sign count going backwards, and audits it', async () => {
    const a = await withPasskey()
    expect(
      (await loginVerify(a.authenticator.assert(await loginOptions(), { counter: 10 }))).status,
    ).toBe(200)
    for (const counter of [10, 9, 0]) {
      const res = await loginVerify(a.authenticator.assert(await loginOptions(), { counter }))
      expect([res.status, res.body.code]).toEqual([401, 'invalid_passkey'])
    }
    expect(
      (await auditTypes(a.userId)).filter((e) => e === 'passkey_counter_regressed'),
    ).toHaveLength(3)
    expect(
      (await loginVerify(a.authenticator.assert(await loginOptions(), { counter: 11 }))).status,
    ).toBe(200)
  })

  it('accepts an authenticator that never counts (sign count 0 each time)', async () => {
    const a = await withPasskey(new SoftAuthenticator(ORIGIN, RP_ID, { countsSignatures: false }))
    for (let i = 0; i < 2; i++) {
      expect((await loginVerify(a.authenticator.assert(await loginOptions()))).status).toBe(200)
    }
  })

  it('refuses a disabled account', async () => {
    const a = await withPasskey()
    await t.app.db.users.update(a.userId, { isActive: false, updatedAt: clock.now() })
    const res = await loginVerify(a.authenticator.assert(await loginOptions()))
    expect([res.status, res.body.code]).toEqual([403, 'account_disabled'])
  })
})

describe('managing passkeys', () => {
  it('renames only your own passkey', async () => {
    const [a, b] = [await withPasskey(), await signedUp()]
    const mine = await api('PATCH', `/auth/passkeys/${a.passkeyId}`, { name: 'Phone' }, a.token)
    expect([mine.status, mine.body.name]).toEqual([200, 'Phone'])
    const theirs = await api('PATCH', `/auth/passkeys/${a.passkeyId}`, { name: 'x' }, b.token)
    expect(theirs.status).toBe(404)
    // Not an id: refused before any query (a NUL byte is an error in PostgreSQL text).
    const junk = await api('DELETE', '/auth/passkeys/%00', undefined, a.token)
    expect([junk.status, junk.body.code]).toEqual([400, 'validation_failed'])
  })

  it('deletes with a recent sign-in; a deleted passkey no longer signs in', async () => {
    const a = await withPasskey()
    clock.advance(301)
    const stale = await api('DELETE', `/auth/passkeys/${a.passkeyId}`, undefined, a.token)
    expect([stale.status, stale.body.code]).toEqual([401, 'recent_login_required'])
    const fresh = await api('POST', '/auth/login', { email: a.email, password: PASSWORD })
    const token = fresh.body.access_token
    expect((await api('DELETE', `/auth/passkeys/${a.passkeyId}`, undefined, token)).status).toBe(
      204,
    )
    expect(await auditTypes(a.userId)).toContain('passkey_removed')
    const res = await loginVerify(a.authenticator.assert(await loginOptions()))
    expect([res.status, res.body.code]).toEqual([401, 'invalid_passkey'])
  })

  it('mails the owner when a passkey is added and when one is removed', async () => {
    const a = await withPasskey()
    const fresh = await api('POST', '/auth/login', { email: a.email, password: PASSWORD })
    const token = fresh.body.access_token
    expect((await api('DELETE', `/auth/passkeys/${a.passkeyId}`, undefined, token)).status).toBe(
      204,
    )
    // The verification mail of the registration, then the two notices.
    const subjects = (await smtp.waitFor(3, a.email)).map((m) => m.subject)
    expect(subjects).toEqual(
      expect.arrayContaining([
        'A passkey was added to your authpair account',
        'A passkey was removed from your authpair account',
      ]),
    )
  })

  it('never deletes the last way to sign in (409 last_sign_in_method)', async () => {
    const a = await withPasskey()
    await t.app.db.users.update(a.userId, { passwordHash: null, updatedAt: clock.now() })
    const res = await api('DELETE', `/auth/passkeys/${a.passkeyId}`, undefined, a.token)
    expect([res.status, res.body.code]).toEqual([409, 'last_sign_in_method'])
    expect(await t.app.db.passkeys.countForUser(a.userId)).toBe(1)
  })
})

describe('an account claimed by its address', () => {
  it('loses the passkeys added before the owner proved the address (pre-registration)', async () => {
    const a = await withPasskey()
    const user = await t.app.db.users.findById(a.userId)
    if (!user) throw new Error('no user')
    const client = { ip: '127.0.0.1', userAgent: 'vitest', requestId: 'claim' }
    await t.app.accounts.claimAccount({ ...user, emailVerified: false }, 'password_reset', client)
    expect(await t.app.db.passkeys.countForUser(a.userId)).toBe(0)
    const claimed = (await t.app.db.auditEvents.listForUser(a.userId, 50)).find(
      (e) => e.type === 'account_claimed',
    )
    expect(JSON.parse(claimed?.data ?? '{}')).toMatchObject({ passkeys_removed: 1 })
    const res = await loginVerify(a.authenticator.assert(await loginOptions()))
    expect([res.status, res.body.code]).toEqual([401, 'invalid_passkey'])
  })
})

describe('the admin API with a passkey', () => {
  it('lets an admin whose factor is a passkey in after a passkey sign-in, not a password one', async () => {
    const a = await withPasskey()
    await t.app.db.users.update(a.userId, { role: 'admin', updatedAt: clock.now() })
    const password = await api('POST', '/auth/login', { email: a.email, password: PASSWORD })
    const refused = await api('GET', '/admin/auth/keys', undefined, password.body.access_token)
    expect([refused.status, refused.body.code]).toEqual([403, 'mfa_required'])
    const passkey = await loginVerify(a.authenticator.assert(await loginOptions()))
    const allowed = await api('GET', '/admin/auth/keys', undefined, passkey.body.access_token)
    expect(allowed.status).toBe(200)
  })
})
