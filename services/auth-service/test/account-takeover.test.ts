/**
 * Account takeover through federated sign-in, as an outside review reproduced it, and login CSRF
 * through the one-time login code. The rules are those of the "pre-hijacked accounts" study
 * (Sudhodanan and Paverd, 2022) and OWASP's account-linking guidance: an address claims an
 * account only when someone proved control of it, and a login code is useless to anyone but the
 * app instance that started the flow. Real HTTP to the provider servers, real SMTP for mail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeChallengeS256, newCodeVerifier } from '../src/oauth/pkce.js'
import { CLIENT, type OAuthHarness, startOAuthHarness } from './support/oauth-harness.js'
import { type ReceivedMail, type SmtpSink, startSmtpSink, tokenFrom } from './support/smtp-sink.js'

let h: OAuthHarness
let strict: OAuthHarness
let smtp: SmtpSink
beforeAll(async () => {
  smtp = await startSmtpSink()
  h = await startOAuthHarness({ SMTP_URL: smtp.url })
  strict = await startOAuthHarness({
    SMTP_URL: smtp.url,
    REQUIRE_EMAIL_VERIFICATION: 'true',
    OAUTH_REQUIRE_APP_PKCE: 'true',
  })
})
afterAll(async () => {
  await h?.close()
  await strict?.close()
  await smtp?.stop()
})

const PASSWORD = 'attacker-knows-this-1'
let n = 0
const address = (who: string) => `${who}${++n}.${Date.now()}@example.com`

function post(app: OAuthHarness, url: string, payload: object) {
  return app.t.app.inject({ method: 'POST', url, payload })
}

async function mailTo(to: string, subject: RegExp, count = 1): Promise<ReceivedMail> {
  const mails = await smtp.waitFor(count, to)
  const mail = mails.filter((m) => subject.test(m.subject)).at(-1)
  if (!mail) throw new Error(`no mail to ${to} matching ${subject}`)
  return mail
}

async function auditOf(app: OAuthHarness, userId: string, type: string) {
  const events = await app.t.app.db.auditEvents.listForUser(userId, 100)
  return events.filter((e) => e.type === type).map((e) => JSON.parse(e.data ?? '{}'))
}

describe('a provider-verified address and an account that never proved it', () => {
  it('takes the account from whoever pre-registered it: password, sessions and identities go', async () => {
    const victim = address('victim')
    // The attacker registers the victim's address first (no verification needed), signs in,
    // and keeps a refresh token.
    expect(
      (await post(h, '/auth/register', { email: victim, password: PASSWORD })).statusCode,
    ).toBe(201)
    const attacker = (await post(h, '/auth/login', { email: victim, password: PASSWORD })).json()
    expect(attacker.refresh_token).toBeTruthy()

    // Later the victim signs in with GitHub, which verified the address.
    h.github.user = {
      id: `${100_000 + n}`,
      name: 'Victim',
      emails: [{ email: victim, primary: true, verified: true }],
    }
    const { tokens } = await h.signIn('github')
    expect(tokens?.access_token).toBeTruthy()
    const account = await h.userOf(tokens?.access_token ?? '')
    expect(account).toMatchObject({ email: victim, emailVerified: true, passwordHash: null })

    // The attacker is out: the password no longer signs in, the old session is over.
    const login = await post(h, '/auth/login', { email: victim, password: PASSWORD })
    expect(login.statusCode).toBe(401)
    const refresh = await post(h, '/auth/token/refresh', { refresh_token: attacker.refresh_token })
    expect(refresh.statusCode).toBe(401)
    // ...and the victim's own session works.
    const sessions = await h.t.app.inject({
      method: 'GET',
      url: '/auth/sessions',
      headers: { authorization: `Bearer ${tokens?.access_token}` },
    })
    expect(sessions.statusCode).toBe(200)
    expect(sessions.json().items).toHaveLength(1)

    // Said in an audited event and a mail.
    expect(await auditOf(h, account?.id ?? '', 'account_claimed')).toEqual([
      { via: 'github', password_removed: true, identities_removed: 0, sessions_revoked: 1 },
    ])
    const mail = await mailTo(victim, /secured/, 2)
    expect(mail.text).toContain('You signed in with GitHub')
    expect(mail.text).toContain('removed its earlier password')
  })

  it('links to an account whose owner proved the address, keeping its password', async () => {
    const owner = address('owner')
    expect((await post(h, '/auth/register', { email: owner, password: PASSWORD })).statusCode).toBe(
      201,
    )
    const link = tokenFrom(await mailTo(owner, /Confirm/)).token
    expect((await post(h, '/auth/email/verify', { token: link })).statusCode).toBe(204)
    h.setGoogleUser({ sub: `g-${n}`, email: owner, email_verified: true })
    const { tokens } = await h.signIn('google')
    const account = await h.userOf(tokens?.access_token ?? '')
    expect(account?.passwordHash).not.toBeNull()
    expect((await post(h, '/auth/login', { email: owner, password: PASSWORD })).statusCode).toBe(
      200,
    )
    expect(await auditOf(h, account?.id ?? '', 'account_claimed')).toEqual([])
  })
})

describe('an address the provider does not vouch for (Yandex)', () => {
  it('never claims it: the account gets no address, and the owner registers and keeps it', async () => {
    const victim = address('yvictim')
    h.yandex.user = {
      id: `ya-${n}`,
      name: 'Mallory',
      emails: [{ email: victim, primary: true, verified: true }],
    }
    const first = await h.signIn('yandex')
    const mallory = await h.userOf(first.tokens?.access_token ?? '')
    expect(mallory).toMatchObject({ email: null, emailVerified: false })
    // The link meant to prove the address went to the victim's mailbox.
    const pendingLink = tokenFrom(await mailTo(victim, /Confirm/)).token

    // The owner registers the address (no 409) and proves it.
    const registered = await post(h, '/auth/register', {
      email: victim,
      password: 'owners-own-pw-7',
    })
    expect(registered.statusCode).toBe(201)
    const ownerLink = tokenFrom(await mailTo(victim, /Confirm/, 2)).token
    expect((await post(h, '/auth/email/verify', { token: ownerLink })).statusCode).toBe(204)

    // The pending link is cut off: the address belongs to the owner's account now.
    const late = await post(h, '/auth/email/verify', { token: pendingLink })
    expect(late.statusCode).toBe(409)
    expect(late.json().code).toBe('email_taken')

    // Mallory's Yandex identity still reaches only Mallory's own account.
    const again = await h.signIn('yandex')
    const reached = await h.userOf(again.tokens?.access_token ?? '')
    expect(reached?.id).toBe(mallory?.id)
    expect(reached?.email).toBeNull()
    const owner = await h.t.app.db.users.findByEmail(victim)
    expect(owner?.id).not.toBe(mallory?.id)
    expect(await h.t.app.db.identities.listForUser(owner?.id ?? '')).toEqual([])
  })

  it('a reset link claims an unverified account that a provider was linked to (older data)', async () => {
    // As the pre-fix code left it: a Yandex sign-in made an account holding the victim's
    // address, unverified, with the attacker's identity linked.
    const victim = address('legacy')
    const now = new Date()
    const legacy = await h.t.app.db.users.create({
      id: crypto.randomUUID(),
      email: victim,
      emailVerified: false,
      createdAt: now,
      updatedAt: now,
    })
    await h.t.app.db.identities.create({
      id: crypto.randomUUID(),
      userId: legacy.id,
      provider: 'yandex',
      providerUserId: `ya-legacy-${n}`,
      email: victim,
      createdAt: now,
    })
    h.yandex.user = {
      id: `ya-legacy-${n}`,
      name: 'Mallory',
      emails: [{ email: victim, primary: true, verified: true }],
    }
    expect((await h.signIn('yandex')).tokens).toBeDefined() // the attacker's way in, before

    // The owner resets the password: the link came to the mailbox, so it proves the address.
    expect((await post(h, '/auth/password/forgot', { email: victim })).statusCode).toBe(202)
    const token = tokenFrom(await mailTo(victim, /Reset/)).token
    const reset = await post(h, '/auth/password/reset', { token, password: 'owners-new-pw-42' })
    expect(reset.statusCode).toBe(204)
    expect(await h.t.app.db.users.findById(legacy.id)).toMatchObject({ emailVerified: true })
    expect(await h.t.app.db.identities.listForUser(legacy.id)).toEqual([])

    // The attacker's Yandex sign-in no longer reaches the owner's account.
    const after = await h.signIn('yandex')
    const reached = after.tokens ? await h.userOf(after.tokens.access_token ?? '') : undefined
    expect(reached?.id).not.toBe(legacy.id)
    expect(await auditOf(h, legacy.id, 'account_claimed')).toEqual([
      {
        via: 'password_reset',
        password_removed: false,
        identities_removed: 1,
        sessions_revoked: 1,
      },
    ])
  })
})

describe('verification applies to every way of signing in (REQUIRE_EMAIL_VERIFICATION=true)', () => {
  it('refuses an unverified Yandex account as it refuses an unverified password login', async () => {
    const someone = address('strict')
    strict.yandex.user = {
      id: `ya-strict-${n}`,
      name: 'S',
      emails: [{ email: someone, primary: true, verified: true }],
    }
    const { back, tokens } = await strict.signIn('yandex')
    expect(tokens).toBeUndefined()
    expect(back.searchParams.get('error')).toBe('email_not_verified')

    const other = address('strictpw')
    expect(
      (await post(strict, '/auth/register', { email: other, password: PASSWORD })).statusCode,
    ).toBe(201)
    const login = await post(strict, '/auth/login', { email: other, password: PASSWORD })
    expect(login.statusCode).toBe(403)
    expect(login.json().code).toBe('email_not_verified')

    // Proving the address (the link Yandex's account was sent) lets the Yandex sign-in through.
    const link = tokenFrom(await mailTo(someone, /Confirm/)).token
    expect((await post(strict, '/auth/email/verify', { token: link })).statusCode).toBe(204)
    expect((await strict.signIn('yandex')).tokens?.access_token).toBeTruthy()
  })
})

describe('login CSRF: the app’s state and PKCE between the app and us', () => {
  async function codeFor(app: OAuthHarness, challenge?: string) {
    app.github.user = {
      id: `${200_000 + ++n}`,
      name: 'C',
      emails: [{ email: address('csrf'), primary: true, verified: true }],
    }
    const started = await app.start(
      'github',
      challenge
        ? { state: 'app-state-1', code_challenge: challenge, code_challenge_method: 'S256' }
        : {},
    )
    const back = await app.callback(await app.atProvider(started), started.cookie)
    return back
  }
  const exchange = (app: OAuthHarness, payload: object) =>
    post(app, '/auth/oauth/exchange', payload)

  it('echoes the app’s state and refuses a code without its verifier, or with a wrong one', async () => {
    const verifier = newCodeVerifier()
    const back = await codeFor(h, codeChallengeS256(verifier))
    expect(back.searchParams.get('state')).toBe('app-state-1')
    const code = back.searchParams.get('code') ?? ''
    // An attacker who plants this code in a victim's browser has no verifier to send with it.
    const planted = await exchange(h, { code })
    expect(planted.statusCode).toBe(400)
    expect(planted.json().code).toBe('invalid_grant')
    // The failed attempt spent the code: not even its own app can use it now.
    expect((await exchange(h, { code, code_verifier: verifier })).json().code).toBe('invalid_token')

    const back2 = await codeFor(h, codeChallengeS256(verifier))
    const wrong = await exchange(h, {
      code: back2.searchParams.get('code'),
      code_verifier: newCodeVerifier(),
    })
    expect(wrong.statusCode).toBe(400)
    expect(wrong.json().code).toBe('invalid_grant')

    const back3 = await codeFor(h, codeChallengeS256(verifier))
    const right = await exchange(h, {
      code: back3.searchParams.get('code'),
      code_verifier: verifier,
    })
    expect(right.statusCode).toBe(200)
  })

  it('refuses a verifier for a code issued without a challenge (a stripped challenge)', async () => {
    const back = await codeFor(h)
    const res = await exchange(h, {
      code: back.searchParams.get('code'),
      code_verifier: newCodeVerifier(),
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe('invalid_grant')
  })

  it('refuses a plain or malformed challenge, and (OAUTH_REQUIRE_APP_PKCE) none at all', async () => {
    const authorize = (app: OAuthHarness, query: Record<string, string>) =>
      app.t.app.inject({
        method: 'GET',
        url: `/auth/oauth/github/authorize?${new URLSearchParams({ redirect_uri: CLIENT, ...query })}`,
      })
    const challenge = codeChallengeS256(newCodeVerifier())
    const refused: Record<string, string>[] = [
      { code_challenge: challenge }, // no method means "plain" (RFC 7636 §4.3)
      { code_challenge: challenge, code_challenge_method: 'plain' },
      { code_challenge: 'short', code_challenge_method: 'S256' },
      { code_challenge_method: 'S256' },
      { state: 'has space', code_challenge: challenge, code_challenge_method: 'S256' },
    ]
    for (const query of refused) {
      const res = await authorize(h, query)
      expect(res.statusCode, JSON.stringify(query)).toBe(400)
      expect(['invalid_request', 'validation_failed']).toContain(res.json().code)
      expect(res.headers.location).toBeUndefined()
    }
    const none = await authorize(strict, {})
    expect(none.statusCode).toBe(400)
    expect(none.json().code).toBe('invalid_request')
    expect(
      (await authorize(strict, { code_challenge: challenge, code_challenge_method: 'S256' }))
        .statusCode,
    ).toBe(302)
  })

  it('sends the app’s state back with an error too', async () => {
    h.github.denyNext = true
    const started = await h.start('github', { state: 'keep-me' })
    const back = await h.callback(await h.atProvider(started), started.cookie)
    expect(back.searchParams.get('error')).toBe('access_denied')
    expect(back.searchParams.get('state')).toBe('keep-me')
  })
})
