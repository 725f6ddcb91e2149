/**
 * The whole authorization-code flow over real HTTP for each provider: Google-style against
 * oauth2-mock-server (a real OIDC server written by others), GitHub and Yandex against local
 * servers that answer like their APIs. The rules against pre-hijacked accounts and login CSRF
 * have their own suite (account-takeover.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeChallengeS256, newCodeVerifier } from '../src/oauth/pkce.js'
import { manualClock } from './helper.js'
import { CLIENT, type OAuthHarness, startOAuthHarness } from './support/oauth-harness.js'
import { type SmtpSink, startSmtpSink, tokenFrom } from './support/smtp-sink.js'

const clock = manualClock(new Date())
let h: OAuthHarness
let smtp: SmtpSink
beforeAll(async () => {
  smtp = await startSmtpSink()
  h = await startOAuthHarness({ SMTP_URL: smtp.url }, { now: clock.now })
})
afterAll(async () => {
  await h?.close()
  await smtp?.stop()
})

const t = {
  get app() {
    return h.t.app
  },
}
const start = (...args: Parameters<OAuthHarness['start']>) => h.start(...args)
const atProvider = (...args: Parameters<OAuthHarness['atProvider']>) => h.atProvider(...args)
const callback = (...args: Parameters<OAuthHarness['callback']>) => h.callback(...args)
const signIn = (provider: string) => h.signIn(provider)
const meOf = (accessToken: string) => h.userOf(accessToken)
const setGoogle = (user: Parameters<OAuthHarness['setGoogleUser']>[0]) => h.setGoogleUser(user)
const never = (): never => {
  throw new Error('expected a mail')
}

/** An account with a password whose address its owner has proven (the verification link). */
async function registerVerified(email: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/auth/register',
    payload: { email, password: 'plum-harbor-lantern-9' },
  })
  expect(res.statusCode).toBe(201)
  const [mail] = await smtp.waitFor(1, email)
  const verified = await t.app.inject({
    method: 'POST',
    url: '/auth/email/verify',
    payload: { token: tokenFrom(mail ?? never()).token },
  })
  expect(verified.statusCode).toBe(204)
}

describe('GET /auth/oauth/providers', () => {
  it('lists the configured providers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/auth/oauth/providers' })
    expect(res.json()).toEqual([
      { id: 'google', name: 'Google' },
      { id: 'yandex', name: 'Yandex' },
      { id: 'github', name: 'GitHub' },
    ])
  })
})

describe('authorize', () => {
  it('sends the browser to the provider with state, PKCE S256 and (Google) a nonce', async () => {
    const { providerLocation } = await start('google')
    const q = providerLocation.searchParams
    expect(q.get('response_type')).toBe('code')
    expect(q.get('code_challenge_method')).toBe('S256')
    expect(q.get('code_challenge')).toMatch(/^[\w-]{43}$/)
    expect(q.get('state')).toMatch(/^[\w-]{43}$/)
    expect(q.get('nonce')).toMatch(/^[\w-]{43}$/)
    expect(q.get('redirect_uri')).toBe('http://localhost:8080/auth/oauth/google/callback')
    const gh = await start('github')
    expect(gh.providerLocation.searchParams.get('nonce')).toBeNull()
  })

  it('refuses a redirect_uri off the allowlist with 400, before contacting the provider', async () => {
    for (const uri of [
      'https://evil.example/cb',
      `${CLIENT}/`,
      `${CLIENT}?x=1`,
      'https://client.example.evil.example/oauth/done',
    ]) {
      const res = await t.app.inject({
        method: 'GET',
        url: `/auth/oauth/github/authorize?redirect_uri=${encodeURIComponent(uri)}`,
      })
      expect(res.statusCode).toBe(400)
      expect(res.json().code).toBe('invalid_redirect_uri')
      expect(res.headers.location).toBeUndefined()
      expect(res.headers['set-cookie']).toBeUndefined()
    }
  })

  it('answers 404 for a provider that is not configured', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/auth/oauth/facebook/authorize?redirect_uri=${CLIENT}`,
    })
    expect(res.statusCode).toBe(404)
    expect(res.json().code).toBe('unknown_provider')
  })
})

describe('Google (OpenID Connect, against oauth2-mock-server)', () => {
  it('creates an account from a verified ID token and signs in again to the same one', async () => {
    setGoogle({ sub: 'g-100', email: 'G100@Example.com', email_verified: true })
    const first = await signIn('google')
    // no token in the URL: the one-time code and the app's own state
    expect([...first.back.searchParams.keys()].sort()).toEqual(['code', 'state'])
    expect(first.back.origin + first.back.pathname).toBe(CLIENT)
    const user = await meOf(first.tokens?.access_token ?? '')
    expect(user).toMatchObject({
      email: 'g100@example.com',
      emailVerified: true,
      passwordHash: null,
    })
    const again = await signIn('google')
    expect((await meOf(again.tokens?.access_token ?? ''))?.id).toBe(user?.id)
  })

  it('links to an existing verified account when Google asserts the email is verified', async () => {
    await registerVerified('linkme@example.com')
    setGoogle({ sub: 'g-200', email: 'linkme@example.com', email_verified: true })
    const { tokens } = await signIn('google')
    const user = await meOf(tokens?.access_token ?? '')
    expect(user?.email).toBe('linkme@example.com')
    const ids = await t.app.inject({
      method: 'GET',
      url: '/auth/identities',
      headers: { authorization: `Bearer ${tokens?.access_token}` },
    })
    expect(ids.json().items.map((i: { provider: string }) => i.provider)).toEqual(['google'])
  })

  it('never links an unverified Google email to an existing account', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email: 'victim@example.com', password: 'plum-harbor-lantern-9' },
    })
    setGoogle({ sub: 'g-300', email: 'victim@example.com', email_verified: false })
    const { back, tokens } = await signIn('google')
    expect(back.searchParams.get('error')).toBe('account_exists')
    expect(tokens).toBeUndefined()
    const victim = await t.app.db.users.findByEmail('victim@example.com')
    expect(await t.app.db.identities.listForUser(victim?.id ?? '')).toEqual([])
  })
})

describe('GitHub (primary verified email)', () => {
  it('links by the primary verified email, and signs in', async () => {
    await registerVerified('octo@example.com')
    h.github.user = {
      id: '5001',
      name: 'Octo',
      emails: [
        { email: 'other@example.com', primary: false, verified: true },
        { email: 'octo@example.com', primary: true, verified: true },
      ],
    }
    const { tokens } = await signIn('github')
    expect((await meOf(tokens?.access_token ?? ''))?.email).toBe('octo@example.com')
  })

  it('refuses to take over an account through an unverified primary email', async () => {
    h.github.user = {
      id: '5002',
      name: 'Mallory',
      emails: [{ email: 'octo@example.com', primary: true, verified: false }],
    }
    const { back } = await signIn('github')
    expect(back.searchParams.get('error')).toBe('email_unavailable')
  })

  it('turns the provider’s access_denied into ?error=access_denied, signing nobody in', async () => {
    h.github.denyNext = true
    const { back, tokens } = await signIn('github')
    expect(back.searchParams.get('error')).toBe('access_denied')
    expect(tokens).toBeUndefined()
  })
})

describe('Yandex (user info, no verified flag)', () => {
  it('creates an account without an address, and mails a link that proves the one Yandex gave', async () => {
    h.yandex.user = {
      id: '7001',
      name: 'Ivan',
      emails: [{ email: 'ivan@example.ru', primary: true, verified: true }],
    }
    const { tokens } = await signIn('yandex')
    const user = await meOf(tokens?.access_token ?? '')
    expect(user).toMatchObject({ email: null, emailVerified: false, name: 'Ivan' })
    expect(await t.app.db.users.findByEmail('ivan@example.ru')).toBeUndefined()

    const [mail] = await smtp.waitFor(1, 'ivan@example.ru')
    const verified = await t.app.inject({
      method: 'POST',
      url: '/auth/email/verify',
      payload: { token: tokenFrom(mail ?? never()).token },
    })
    expect(verified.statusCode).toBe(204)
    expect(await t.app.db.users.findById(user?.id ?? '')).toMatchObject({
      email: 'ivan@example.ru',
      emailVerified: true,
    })
    // and the same Yandex identity keeps signing in to it
    expect((await meOf((await signIn('yandex')).tokens?.access_token ?? ''))?.id).toBe(user?.id)
  })

  it('never links its email to an existing account', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email: 'taken@example.ru', password: 'plum-harbor-lantern-9' },
    })
    h.yandex.user = {
      id: '7002',
      name: 'Other',
      emails: [{ email: 'taken@example.ru', primary: true, verified: true }],
    }
    const { back } = await signIn('yandex')
    expect(back.searchParams.get('error')).toBe('account_exists')
  })

  it('refuses user info issued to another client_id', async () => {
    h.yandex.user = {
      id: '7003',
      name: 'Eve',
      emails: [{ email: 'eve@example.ru', primary: true, verified: true }],
    }
    h.yandex.userInfoClientId = 'someone-elses-app'
    try {
      const { back } = await signIn('yandex')
      expect(back.searchParams.get('error')).toBe('provider_error')
      expect(await t.app.db.users.findByEmail('eve@example.ru')).toBeUndefined()
    } finally {
      h.yandex.userInfoClientId = undefined
    }
  })
})

describe('forged, replayed and injected callbacks', () => {
  it('refuses a wrong state', async () => {
    h.github.user = {
      id: '8001',
      name: 'S',
      emails: [{ email: 's8001@example.com', primary: true, verified: true }],
    }
    const started = await start('github')
    const cb = await atProvider(started)
    cb.searchParams.set('state', 'not-the-state')
    const back = await callback(cb, started.cookie)
    expect(back.searchParams.get('error')).toBe('invalid_state')
    expect(back.searchParams.get('code')).toBeNull()
  })

  it('refuses a callback without the browser’s state cookie (redirecting to the first allowed URI)', async () => {
    const started = await start('github')
    const back = await callback(await atProvider(started))
    expect(back.origin + back.pathname).toBe(CLIENT)
    expect(back.searchParams.get('error')).toBe('invalid_state')
  })

  it('refuses a replayed callback', async () => {
    h.github.user = {
      id: '8002',
      name: 'R',
      emails: [{ email: 'r8002@example.com', primary: true, verified: true }],
    }
    const started = await start('github')
    const cb = await atProvider(started)
    expect((await callback(cb, started.cookie)).searchParams.get('code')).toBeTruthy()
    expect((await callback(cb, started.cookie)).searchParams.get('error')).toBe('invalid_state')
  })

  it('refuses an authorization code injected from another browser’s flow (PKCE verifier mismatch)', async () => {
    h.github.user = {
      id: '8003',
      name: 'Attacker',
      emails: [{ email: 'attacker@example.com', primary: true, verified: true }],
    }
    const victim = await start('github')
    // the attacker's own code, obtained with the attacker's own verifier
    const attackerCode = h.github.codeFor(codeChallengeS256(newCodeVerifier()))
    const cb = new URL('http://localhost:8080/auth/oauth/github/callback')
    cb.searchParams.set('code', attackerCode)
    cb.searchParams.set('state', victim.providerLocation.searchParams.get('state') ?? '')
    const back = await callback(cb, victim.cookie)
    expect(back.searchParams.get('error')).toBe('provider_error')
    expect(await t.app.db.users.findByEmail('attacker@example.com')).toBeUndefined()
  })

  it('refuses a state cookie from another provider’s flow', async () => {
    const g = await start('google')
    const gh = await start('github')
    const cb = await atProvider(gh)
    const back = await callback(cb, g.cookie)
    expect(back.searchParams.get('error')).toBe('invalid_state')
  })
})

describe('POST /auth/oauth/exchange', () => {
  it('trades a login code once, and not after a minute', async () => {
    h.github.user = {
      id: '9001',
      name: 'E',
      emails: [{ email: 'e9001@example.com', primary: true, verified: true }],
    }
    const started = await start('github')
    const code =
      (await callback(await atProvider(started), started.cookie)).searchParams.get('code') ?? ''
    const first = await t.app.inject({
      method: 'POST',
      url: '/auth/oauth/exchange',
      payload: { code },
    })
    expect(first.statusCode).toBe(200)
    const second = await t.app.inject({
      method: 'POST',
      url: '/auth/oauth/exchange',
      payload: { code },
    })
    expect(second.statusCode).toBe(400)
    expect(second.json().code).toBe('invalid_token')

    const later = await start('github')
    const code2 =
      (await callback(await atProvider(later), later.cookie)).searchParams.get('code') ?? ''
    clock.advance(61)
    const expired = await t.app.inject({
      method: 'POST',
      url: '/auth/oauth/exchange',
      payload: { code: code2 },
    })
    expect(expired.statusCode).toBe(400)
  })
})

describe('identities', () => {
  it('refuses to unlink the last way to sign in, and unlinks otherwise', async () => {
    setGoogle({ sub: 'g-solo', email: 'solo@example.com', email_verified: true })
    const solo = await signIn('google')
    const auth = { authorization: `Bearer ${solo.tokens?.access_token}` }
    const refused = await t.app.inject({
      method: 'DELETE',
      url: '/auth/identities/google',
      headers: auth,
    })
    expect(refused.statusCode).toBe(409)
    expect(refused.json().code).toBe('last_sign_in_method')

    // an account with a password may drop its provider
    await registerVerified('both@example.com')
    setGoogle({ sub: 'g-both', email: 'both@example.com', email_verified: true })
    const both = await signIn('google')
    const ok = await t.app.inject({
      method: 'DELETE',
      url: '/auth/identities/google',
      headers: { authorization: `Bearer ${both.tokens?.access_token}` },
    })
    expect(ok.statusCode).toBe(204)
    const missing = await t.app.inject({
      method: 'DELETE',
      url: '/auth/identities/github',
      headers: { authorization: `Bearer ${both.tokens?.access_token}` },
    })
    expect(missing.statusCode).toBe(404)
  })
})
