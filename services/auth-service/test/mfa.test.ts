/**
 * The second factor (issue 15) against a real listener, a real SMTP server and real local
 * OAuth providers, on the run's database, with a clock the test moves: enrolment, the
 * mfa_required step of every way of signing in, codes of neighbouring steps, replays, recovery
 * codes, the mfa_token's limits, MFA_REQUIRED_ROLES on the admin API, and the notices.
 *
 * Codes are computed here with the otpauth library from the otpauth:// URI the service hands
 * out, as an authenticator app would read it from the QR code; test/totp.test.ts checks the
 * service's own TOTP against RFC 6238's test vectors.
 */
import { decodeJwt } from 'jose'
import { TOTP, URI } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeChallengeS256, newCodeVerifier } from '../src/oauth/pkce.js'
import { manualClock } from './helper.js'
import { type OAuthHarness, startOAuthHarness } from './support/oauth-harness.js'
import { type ReceivedMail, type SmtpSink, startSmtpSink } from './support/smtp-sink.js'

// Ten seconds into a 30-second step, so a step's neighbours are unambiguous.
const clock = manualClock(new Date('2026-03-01T12:00:10.000Z'))
let smtp: SmtpSink
let h: OAuthHarness
let base: string
beforeAll(async () => {
  smtp = await startSmtpSink()
  h = await startOAuthHarness(
    { SMTP_URL: smtp.url, MFA_REQUIRED_ROLES: 'admin', RECENT_LOGIN_SECONDS: '300' },
    { now: clock.now },
  )
  base = await h.t.app.listen({ host: '127.0.0.1', port: 0 })
})
afterAll(async () => {
  await h?.close()
  await smtp?.stop()
})

const PASSWORD = 'amber-quartz-meadow-58'
let serial = 0
const uniqueEmail = () => `mfa${++serial}.${Date.now()}@example.com`

interface Answer {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are read field by field
  body: any
  type: string
}

async function api(method: string, path: string, body?: unknown, token?: string): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  return {
    status: res.status,
    body: text ? JSON.parse(text) : null,
    type: res.headers.get('content-type') ?? '',
  }
}

async function signedUp(email = uniqueEmail()) {
  expect((await api('POST', '/auth/register', { email, password: PASSWORD })).status).toBe(201)
  const login = await api('POST', '/auth/login', { email, password: PASSWORD })
  expect(login.status).toBe(200)
  const user = await h.t.app.db.users.findByEmail(email)
  return { email, token: login.body.access_token as string, userId: user?.id ?? '' }
}

/** An authenticator app that has read the QR code. */
type App = TOTP
const codeAt = (app: App, offsetSteps = 0) =>
  app.generate({ timestamp: clock.now().getTime() + offsetSteps * 30_000 })

async function enrolled(email = uniqueEmail()) {
  const account = await signedUp(email)
  const setup = await api('POST', '/auth/mfa/totp/setup', undefined, account.token)
  expect(setup.status).toBe(200)
  const app = URI.parse(setup.body.otpauth_uri) as TOTP
  const confirm = await api('POST', '/auth/mfa/totp/confirm', { code: codeAt(app) }, account.token)
  expect(confirm.status).toBe(200)
  return {
    ...account,
    app,
    setup: setup.body,
    recoveryCodes: confirm.body.recovery_codes as string[],
  }
}

/** The password step: 403 mfa_required with its mfa_token. */
async function firstFactor(email: string): Promise<string> {
  const res = await api('POST', '/auth/login', { email, password: PASSWORD })
  expect(res.status).toBe(403)
  expect(res.body.code).toBe('mfa_required')
  return res.body.mfa_token
}

const verify = (mfaToken: string, code: string, method = 'totp') =>
  api('POST', '/auth/mfa/verify', { mfa_token: mfaToken, method, code })

/** Moves the clock on by whole steps, so each sign-in below has fresh codes. */
const nextSteps = (steps = 2) => clock.advance(steps * 30)

/** Waits until every one of `wanted` subjects has reached `to` at the SMTP server. */
async function mailsTo(to: string, wanted: string[]): Promise<ReceivedMail[]> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const mails = smtp.received.filter((m) => m.to === to)
    const seen = mails.map((m) => m.subject)
    if (wanted.every((subject) => seen.includes(subject))) return mails
    if (Date.now() > deadline) throw new Error(`mails to ${to}: ${seen.join(' | ')}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('enrolment', () => {
  it('hands out a secret and its otpauth URI, and turns nothing on until a code confirms it', async () => {
    const { email, token, userId } = await signedUp()
    const setup = await api('POST', '/auth/mfa/totp/setup', undefined, token)
    expect(setup.status).toBe(200)
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/)
    const app = URI.parse(setup.body.otpauth_uri) as TOTP
    expect(app).toBeInstanceOf(TOTP)
    expect([app.issuer, app.label, app.algorithm, app.digits, app.period]).toEqual([
      'authpair',
      email,
      'SHA1',
      6,
      30,
    ])
    expect(app.secret.base32).toBe(setup.body.secret)
    expect(setup.body.qr_svg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/)

    // The secret is sealed at rest: the row holds neither its base32 nor its bytes in hex.
    const row = await h.t.app.db.secondFactors.findTotp(userId)
    expect(row?.secretEnc).toMatch(/^v1\./)
    expect(row?.secretEnc).not.toContain(setup.body.secret)
    expect(row?.secretEnc).not.toContain(Buffer.from(app.secret.bytes).toString('hex'))

    // Not on yet: the password alone still signs in, the status says off.
    expect((await api('POST', '/auth/login', { email, password: PASSWORD })).status).toBe(200)
    expect((await api('GET', '/auth/mfa', undefined, token)).body).toEqual({
      totp: false,
      passkeys: 0,
      recovery_codes_left: 0,
    })

    const wrong = await api('POST', '/auth/mfa/totp/confirm', { code: codeAt(app, 3) }, token)
    expect(wrong.status).toBe(400)
    expect(wrong.body.code).toBe('invalid_mfa_code')
    const confirm = await api('POST', '/auth/mfa/totp/confirm', { code: codeAt(app) }, token)
    expect(confirm.status).toBe(200)
    const codes = confirm.body.recovery_codes as string[]
    expect(codes).toHaveLength(10)
    expect(new Set(codes).size).toBe(10)
    for (const code of codes)
      expect(code).toMatch(/^([0-9a-hjkmnp-tv-z]{4}-){5}[0-9a-hjkmnp-tv-z]{4}$/)
    expect((await api('GET', '/auth/mfa', undefined, token)).body).toEqual({
      totp: true,
      passkeys: 0,
      recovery_codes_left: 10,
    })
    // On: a second setup is refused, and so is a second confirmation.
    const again = await api('POST', '/auth/mfa/totp/setup', undefined, token)
    expect([again.status, again.body.code]).toEqual([409, 'mfa_already_enabled'])
    await mailsTo(email, ['Two-step sign-in is on for your authpair account'])
  })

  it('needs a recent sign-in for every change (401 recent_login_required)', async () => {
    const { token } = await enrolled()
    clock.advance(301)
    for (const [method, path, body] of [
      ['POST', '/auth/mfa/totp/setup'],
      ['POST', '/auth/mfa/totp/confirm', { code: '123456' }],
      ['DELETE', '/auth/mfa/totp'],
      ['POST', '/auth/mfa/recovery-codes'],
    ] as const) {
      const res = await api(method, path, body, token)
      expect([res.status, res.body.code], path).toEqual([401, 'recent_login_required'])
    }
    // Reading the state is not a change.
    expect((await api('GET', '/auth/mfa', undefined, token)).status).toBe(200)
  })
})

describe('signing in with a second factor', () => {
  it('answers mfa_required to the right password, then a token pair for the right code (amr pwd otp mfa)', async () => {
    const { email, app, userId } = await enrolled()
    nextSteps()
    const res = await api('POST', '/auth/login', { email, password: PASSWORD })
    expect(res.status).toBe(403)
    expect(res.type).toContain('application/problem+json')
    expect(res.body).toMatchObject({ code: 'mfa_required', methods: ['totp', 'recovery_code'] })
    expect(res.body.mfa_token).toMatch(/^[\w-]{43}$/)
    expect(res.body).not.toHaveProperty('access_token')
    // A wrong password is still the plain 401, with no mfa_token.
    const wrongPassword = await api('POST', '/auth/login', { email, password: 'not-it-at-all' })
    expect(wrongPassword.status).toBe(401)
    expect(wrongPassword.body).not.toHaveProperty('mfa_token')

    const wrong = await verify(res.body.mfa_token, codeAt(app, 5))
    expect([wrong.status, wrong.body.code]).toEqual([401, 'invalid_mfa_code'])
    const right = await verify(res.body.mfa_token, codeAt(app))
    expect(right.status).toBe(200)
    const claims = decodeJwt(right.body.access_token)
    expect(claims.sub).toBe(userId)
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa'])
    // A refreshed token still says how the session signed in.
    const refreshed = await api('POST', '/auth/token/refresh', {
      refresh_token: right.body.refresh_token,
    })
    expect(decodeJwt(refreshed.body.access_token).amr).toEqual(['pwd', 'otp', 'mfa'])
  })

  it('accepts the code of the previous and of the next step, refuses one two steps away', async () => {
    const { email, app } = await enrolled()
    nextSteps()
    expect((await verify(await firstFactor(email), codeAt(app, -1))).status).toBe(200)
    expect((await verify(await firstFactor(email), codeAt(app, 1))).status).toBe(200)
    nextSteps(4)
    const token = await firstFactor(email)
    expect((await verify(token, codeAt(app, -2))).status).toBe(401)
    expect((await verify(token, codeAt(app, 2))).status).toBe(401)
    expect((await verify(token, codeAt(app))).status).toBe(200)
  })

  it('refuses a code that was used already (a replay), and any code of an earlier step', async () => {
    const { email, app } = await enrolled()
    nextSteps()
    const code = codeAt(app)
    expect((await verify(await firstFactor(email), code)).status).toBe(200)
    const replay = await verify(await firstFactor(email), code)
    expect([replay.status, replay.body.code]).toEqual([401, 'invalid_mfa_code'])
    // The previous step's code is inside the window, but older than the one just used.
    expect((await verify(await firstFactor(email), codeAt(app, -1))).status).toBe(401)
    // The code that confirmed the enrolment cannot sign in either.
    const fresh = await enrolled()
    const confirmCode = codeAt(fresh.app)
    expect((await verify(await firstFactor(fresh.email), confirmCode)).status).toBe(401)
  })

  it('takes each recovery code once (in any case, with or without hyphens), and mails a notice', async () => {
    const { email, app, recoveryCodes, token } = await enrolled()
    const [first = '', second = ''] = recoveryCodes
    const used = await verify(await firstFactor(email), first, 'recovery_code')
    expect(used.status).toBe(200)
    expect(decodeJwt(used.body.access_token).amr).toEqual(['pwd', 'otp', 'mfa'])
    const twice = await verify(await firstFactor(email), first, 'recovery_code')
    expect([twice.status, twice.body.code]).toEqual([401, 'invalid_mfa_code'])
    // A recovery code is not a TOTP code, nor the other way round.
    expect((await verify(await firstFactor(email), second, 'totp')).status).toBe(401)
    expect((await verify(await firstFactor(email), codeAt(app, 1), 'recovery_code')).status).toBe(
      401,
    )
    const typed = second.toUpperCase().replaceAll('-', ' ')
    expect((await verify(await firstFactor(email), typed, 'recovery_code')).status).toBe(200)
    expect((await api('GET', '/auth/mfa', undefined, token)).body.recovery_codes_left).toBe(8)

    const notice = 'A recovery code was used to sign in to authpair'
    await mailsTo(email, [notice])
    // Delivery is asynchronous (the outbox): as long as mailsTo's wait, not expect.poll's 1 s.
    await expect
      .poll(() => smtp.received.filter((m) => m.subject === notice && m.to === email).length, {
        timeout: 10_000,
      })
      .toBe(2)
    // One notice per code used, each with the count left after it (the outbox may deliver the
    // two in either order).
    const left = smtp.received
      .filter((m) => m.subject === notice && m.to === email)
      .map((m) => /(\d+) unused codes are left/.exec(m.text)?.[1])
      .sort()
    expect(left).toEqual(['8', '9'])
  })

  it('spends the mfa_token at the fifth wrong code: the right code is then refused', async () => {
    const { email, app } = await enrolled()
    nextSteps()
    const token = await firstFactor(email)
    for (let i = 0; i < 5; i++) {
      const res = await verify(token, codeAt(app, 5 + i))
      expect([res.status, res.body.code]).toEqual([401, 'invalid_mfa_code'])
    }
    const spent = await verify(token, codeAt(app))
    expect([spent.status, spent.body.code]).toEqual([400, 'invalid_token'])
    // A new sign-in gets a new token, which works.
    expect((await verify(await firstFactor(email), codeAt(app))).status).toBe(200)
  })

  it('takes an mfa_token once, for five minutes, and only with its own user’s code', async () => {
    const a = await enrolled()
    const b = await enrolled()
    nextSteps()
    const token = await firstFactor(a.email)
    expect((await verify(token, codeAt(a.app))).status).toBe(200)
    const twice = await verify(token, codeAt(a.app, 1))
    expect([twice.status, twice.body.code]).toEqual([400, 'invalid_token'])

    nextSteps()
    const late = await firstFactor(a.email)
    clock.advance(301)
    const expired = await verify(late, codeAt(a.app))
    expect([expired.status, expired.body.code]).toEqual([400, 'invalid_token'])

    nextSteps()
    const aToken = await firstFactor(a.email)
    // B's right code does not finish A's sign-in, and signs nobody in.
    const crossed = await verify(aToken, codeAt(b.app))
    expect([crossed.status, crossed.body.code]).toEqual([401, 'invalid_mfa_code'])
    expect(crossed.body).not.toHaveProperty('access_token')
    // The token stays A's: A's code finishes it, as A.
    const own = await verify(aToken, codeAt(a.app))
    expect(own.status).toBe(200)
    expect(decodeJwt(own.body.access_token).sub).toBe(a.userId)
    // An mfa_token is no refresh token and no login code.
    const asRefresh = await api('POST', '/auth/token/refresh', { refresh_token: aToken })
    expect(asRefresh.status).toBe(401)
  })

  it('records every step in the audit trail', async () => {
    const { email, app, userId } = await enrolled()
    nextSteps()
    const token = await firstFactor(email)
    await verify(token, codeAt(app, 7))
    await verify(token, codeAt(app))
    const types = (await h.t.app.db.auditEvents.listForUser(userId, 50)).map((e) => e.type)
    expect(types).toEqual(
      expect.arrayContaining([
        'mfa_enabled',
        'mfa_challenge_issued',
        'mfa_failed',
        'login_succeeded',
      ]),
    )
  })
})

describe('the OpenAPI document', () => {
  it('describes the 403 mfa_required body (mfa_token, methods) of login, the exchange and verify', async () => {
    const doc = await api('GET', '/auth/docs/json')
    const problem = doc.body.components.schemas.MfaRequiredProblem
    expect(Object.keys(problem.properties)).toEqual(
      expect.arrayContaining(['code', 'mfa_token', 'methods']),
    )
    for (const path of ['/auth/login', '/auth/oauth/exchange', '/auth/mfa/verify']) {
      const forbidden = doc.body.paths[path].post.responses['403']
      expect(JSON.stringify(forbidden), path).toContain('MfaRequiredProblem')
    }
  })
})

describe('provider sign-ins reach the same step', () => {
  /** A provider sign-in as the client app runs it, the exchange over the real listener. */
  async function exchange(provider: string): Promise<Answer> {
    const verifier = newCodeVerifier()
    const started = await h.start(provider, {
      code_challenge: codeChallengeS256(verifier),
      code_challenge_method: 'S256',
    })
    const back = await h.callback(await h.atProvider(started), started.cookie)
    const code = back.searchParams.get('code')
    expect(code, back.toString()).toBeTruthy()
    return api('POST', '/auth/oauth/exchange', { code, code_verifier: verifier })
  }

  it.each(['google', 'github', 'yandex'])(
    '%s: the exchange answers mfa_required, and the code finishes with amr fed otp mfa',
    async (provider) => {
      const email = uniqueEmail()
      const id = `${300_000 + serial}`
      h.setGoogleUser({ sub: id, email, email_verified: true })
      h.github.user = { id, name: 'G', emails: [{ email, primary: true, verified: true }] }
      h.yandex.user = { id, name: 'Y', emails: [{ email, primary: true, verified: true }] }
      const first = await exchange(provider)
      expect(first.status).toBe(200)
      expect(decodeJwt(first.body.access_token).amr).toEqual(['fed'])
      const token = first.body.access_token as string
      const setup = await api('POST', '/auth/mfa/totp/setup', undefined, token)
      const app = URI.parse(setup.body.otpauth_uri) as TOTP
      expect(
        (await api('POST', '/auth/mfa/totp/confirm', { code: codeAt(app) }, token)).status,
      ).toBe(200)
      nextSteps()

      const again = await exchange(provider)
      expect(again.status).toBe(403)
      expect(again.body).toMatchObject({ code: 'mfa_required', methods: ['totp', 'recovery_code'] })
      const done = await verify(again.body.mfa_token, codeAt(app))
      expect(done.status).toBe(200)
      expect(decodeJwt(done.body.access_token)).toMatchObject({
        sub: decodeJwt(token).sub,
        amr: ['fed', 'otp', 'mfa'],
      })
    },
  )
})

describe('MFA_REQUIRED_ROLES=admin on the admin API', () => {
  async function admin() {
    const email = uniqueEmail()
    await h.t.app.accountRules.createUser({
      email,
      password: PASSWORD,
      role: 'admin',
      emailVerified: true,
    })
    const login = await api('POST', '/auth/login', { email, password: PASSWORD })
    return { email, token: login.body.access_token as string }
  }

  it('sends an admin without a factor to enrol, refuses a token without mfa, admits one with it', async () => {
    const { email, token } = await admin()
    const before = await api('GET', '/admin/auth/keys', undefined, token)
    expect([before.status, before.body.code]).toEqual([403, 'mfa_enrollment_required'])
    // The enrolment routes are not under /admin/: the admin can reach them.
    const setup = await api('POST', '/auth/mfa/totp/setup', undefined, token)
    const app = URI.parse(setup.body.otpauth_uri) as TOTP
    expect((await api('POST', '/auth/mfa/totp/confirm', { code: codeAt(app) }, token)).status).toBe(
      200,
    )
    const passwordOnly = await api('GET', '/admin/auth/keys', undefined, token)
    expect([passwordOnly.status, passwordOnly.body.code]).toEqual([403, 'mfa_required'])

    nextSteps()
    const pair = await verify(await firstFactor(email), codeAt(app))
    const withMfa = await api('GET', '/admin/auth/keys', undefined, pair.body.access_token)
    expect(withMfa.status).toBe(200)
  })

  it('lets an admin remove a user’s factors: audited with the admin as actor, the user mailed', async () => {
    const { email: adminEmail, token: adminToken } = await admin()
    const setup = await api('POST', '/auth/mfa/totp/setup', undefined, adminToken)
    const adminApp = URI.parse(setup.body.otpauth_uri) as TOTP
    await api('POST', '/auth/mfa/totp/confirm', { code: codeAt(adminApp) }, adminToken)
    nextSteps()
    const adminPair = await verify(await firstFactor(adminEmail), codeAt(adminApp))
    const adminId = decodeJwt(adminPair.body.access_token).sub

    const user = await enrolled()
    const removed = await api(
      'DELETE',
      `/admin/auth/users/${user.userId}/mfa`,
      undefined,
      adminPair.body.access_token,
    )
    expect(removed.status).toBe(204)
    expect((await api('GET', '/auth/mfa', undefined, user.token)).body).toMatchObject({
      totp: false,
      recovery_codes_left: 0,
    })
    // The password alone signs in again.
    expect(
      (await api('POST', '/auth/login', { email: user.email, password: PASSWORD })).status,
    ).toBe(200)
    const event = (await h.t.app.db.auditEvents.listForUser(user.userId, 50)).find(
      (e) => e.type === 'mfa_removed',
    )
    expect(event?.actorId).toBe(adminId)
    const off = 'Two-step sign-in is off for your authpair account'
    const notice = (await mailsTo(user.email, [off])).find((m) => m.subject === off)
    expect(notice?.text).toContain('An administrator removed')

    const none = await api(
      'DELETE',
      `/admin/auth/users/${user.userId}/mfa`,
      undefined,
      adminPair.body.access_token,
    )
    expect([none.status, none.body.code]).toEqual([409, 'mfa_not_enabled'])
    // A user, even with a second factor, is no admin.
    const asUser = await api('DELETE', `/admin/auth/users/${adminId}/mfa`, undefined, user.token)
    expect([asUser.status, asUser.body.code]).toEqual([403, 'forbidden'])
  })
})

describe('changes and their notices', () => {
  it('removes the authenticator, makes new recovery codes, and mails each change (in Russian for ru)', async () => {
    const { email, token, userId, recoveryCodes } = await enrolled()
    await h.t.app.db.users.update(userId, { locale: 'ru', updatedAt: clock.now() })
    const fresh = await api('POST', '/auth/mfa/recovery-codes', undefined, token)
    expect(fresh.status).toBe(200)
    expect(fresh.body.recovery_codes).toHaveLength(10)
    expect(fresh.body.recovery_codes).not.toContain(recoveryCodes[0])
    // The old set stopped working.
    nextSteps()
    const old = await verify(await firstFactor(email), recoveryCodes[0] ?? '', 'recovery_code')
    expect(old.status).toBe(401)

    expect((await api('DELETE', '/auth/mfa/totp', undefined, token)).status).toBe(204)
    const twice = await api('DELETE', '/auth/mfa/totp', undefined, token)
    expect([twice.status, twice.body.code]).toEqual([409, 'mfa_not_enabled'])
    const regenerate = await api('POST', '/auth/mfa/recovery-codes', undefined, token)
    expect([regenerate.status, regenerate.body.code]).toEqual([409, 'mfa_not_enabled'])

    await mailsTo(email, [
      'Two-step sign-in is on for your authpair account',
      'Новые резервные коды для authpair',
      'Двухэтапный вход в authpair выключен',
    ])
  })
})

describe('the per-account sign-in limits', () => {
  it('count wrong second-factor codes: past the limit even the right code is a 429', async () => {
    const { buildTestApp } = await import('./helper.js')
    const t = await buildTestApp(
      { RATE_LIMIT_LOGIN_PER_ACCOUNT_IP: '3', MFA_REQUIRED_ROLES: 'admin' },
      { now: clock.now },
    )
    try {
      const post = async (url: string, payload: object, token?: string) => {
        const res = await t.app.inject({
          method: 'POST',
          url,
          payload,
          headers: token ? { authorization: `Bearer ${token}` } : {},
        })
        return { status: res.statusCode, body: res.json() }
      }
      const email = uniqueEmail()
      await post('/auth/register', { email, password: PASSWORD })
      const login = await post('/auth/login', { email, password: PASSWORD })
      const setup = await post('/auth/mfa/totp/setup', {}, login.body.access_token)
      const app = URI.parse(setup.body.otpauth_uri) as TOTP
      await post('/auth/mfa/totp/confirm', { code: codeAt(app) }, login.body.access_token)
      nextSteps()
      let mfaToken = ''
      for (let i = 0; i < 3; i++) {
        const first = await post('/auth/login', { email, password: PASSWORD })
        expect(first.status).toBe(403)
        mfaToken = first.body.mfa_token
        const wrong = await post('/auth/mfa/verify', {
          mfa_token: mfaToken,
          method: 'totp',
          code: codeAt(app, 9),
        })
        expect(wrong.status).toBe(401)
      }
      // Three wrong codes from this address: the account is locked here, the right code and
      // the password included.
      const right = await post('/auth/mfa/verify', {
        mfa_token: mfaToken,
        method: 'totp',
        code: codeAt(app),
      })
      expect([right.status, right.body.code]).toEqual([429, 'rate_limited'])
      const locked = await post('/auth/login', { email, password: PASSWORD })
      expect([locked.status, locked.body.code]).toEqual([429, 'rate_limited'])
    } finally {
      await t.close()
    }
  })
})
