/**
 * The whole authorization-code flow over real HTTP for each provider: Google-style against
 * oauth2-mock-server (a real OIDC server written by others), GitHub and Yandex against local
 * servers that answer like their APIs.
 */
import { OAuth2Server } from 'oauth2-mock-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeChallengeS256, newCodeVerifier } from '../src/oauth/pkce.js'
import { buildTestApp, manualClock, type TestApp } from './helper.js'
import { type ProviderMock, startProviderMock } from './support/provider-mocks.js'

const CLIENT = 'https://client.example/oauth/done'
const clock = manualClock(new Date())
let google: OAuth2Server
let github: ProviderMock
let yandex: ProviderMock
let t: TestApp
let nextGoogleUser = { sub: 'g-1', email: 'g1@example.com', email_verified: true }

beforeAll(async () => {
  google = new OAuth2Server()
  await google.issuer.keys.generate('RS256')
  await google.start(0, '127.0.0.1')
  google.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }) => {
    Object.assign(token.payload, nextGoogleUser, { name: 'Google User' })
  })
  github = await startProviderMock('github')
  yandex = await startProviderMock('yandex')
  const issuer = google.issuer.url ?? ''
  t = await buildTestApp(
    {
      OAUTH_REDIRECT_URIS: `${CLIENT},https://other-client.example/cb`,
      GOOGLE_CLIENT_ID: 'google-client',
      GOOGLE_CLIENT_SECRET: 'google-secret',
      GOOGLE_ISSUER: issuer,
      GOOGLE_AUTHORIZE_URL: `${issuer}/authorize`,
      GOOGLE_TOKEN_URL: `${issuer}/token`,
      GOOGLE_JWKS_URL: `${issuer}/jwks`,
      GITHUB_CLIENT_ID: github.clientId,
      GITHUB_CLIENT_SECRET: github.clientSecret,
      GITHUB_AUTHORIZE_URL: `${github.url}/login/oauth/authorize`,
      GITHUB_TOKEN_URL: `${github.url}/login/oauth/access_token`,
      GITHUB_API_URL: github.url,
      YANDEX_CLIENT_ID: yandex.clientId,
      YANDEX_CLIENT_SECRET: yandex.clientSecret,
      YANDEX_AUTHORIZE_URL: `${yandex.url}/authorize`,
      YANDEX_TOKEN_URL: `${yandex.url}/token`,
      YANDEX_USERINFO_URL: `${yandex.url}/info`,
    },
    { now: clock.now },
  )
})
afterAll(async () => {
  await t?.close()
  await google?.stop()
  await github?.close()
  await yandex?.close()
})

interface Started {
  providerLocation: URL
  cookie: string
}

async function start(provider: string, redirectUri = CLIENT): Promise<Started> {
  const res = await t.app.inject({
    method: 'GET',
    url: `/auth/oauth/${provider}/authorize?redirect_uri=${encodeURIComponent(redirectUri)}`,
  })
  expect(res.statusCode).toBe(302)
  const setCookie = String(res.headers['set-cookie'])
  expect(setCookie).toMatch(/HttpOnly/)
  expect(setCookie).toMatch(/SameSite=Lax/)
  return {
    providerLocation: new URL(String(res.headers.location)),
    cookie: setCookie.split(';')[0] ?? '',
  }
}

/** The browser at the provider: follow its redirect back to our callback URL. */
async function atProvider(started: Started): Promise<URL> {
  const res = await fetch(started.providerLocation, { redirect: 'manual' })
  expect(res.status).toBe(302)
  return new URL(res.headers.get('location') ?? '')
}

async function callback(callbackUrl: URL, cookie?: string): Promise<URL> {
  const res = await t.app.inject({
    method: 'GET',
    url: `${callbackUrl.pathname}${callbackUrl.search}`,
    headers: cookie ? { cookie } : {},
  })
  expect(res.statusCode).toBe(302)
  return new URL(String(res.headers.location))
}

async function signIn(provider: string): Promise<{ back: URL; tokens?: Record<string, string> }> {
  const started = await start(provider)
  const back = await callback(await atProvider(started), started.cookie)
  const code = back.searchParams.get('code')
  if (!code) return { back }
  const res = await t.app.inject({ method: 'POST', url: '/auth/oauth/exchange', payload: { code } })
  expect(res.statusCode).toBe(200)
  return { back, tokens: res.json() }
}

const meOf = async (accessToken: string) =>
  await t.app.db.users.findById(
    JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString()).sub,
  )

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
    nextGoogleUser = { sub: 'g-100', email: 'G100@Example.com', email_verified: true }
    const first = await signIn('google')
    expect([...first.back.searchParams.keys()]).toEqual(['code']) // no token in the URL
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

  it('links to an existing account when Google asserts the email is verified', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email: 'linkme@example.com', password: 'plum-harbor-lantern-9' },
    })
    nextGoogleUser = { sub: 'g-200', email: 'linkme@example.com', email_verified: true }
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
    nextGoogleUser = { sub: 'g-300', email: 'victim@example.com', email_verified: false }
    const { back, tokens } = await signIn('google')
    expect(back.searchParams.get('error')).toBe('account_exists')
    expect(tokens).toBeUndefined()
    const victim = await t.app.db.users.findByEmail('victim@example.com')
    expect(await t.app.db.identities.listForUser(victim?.id ?? '')).toEqual([])
  })
})

describe('GitHub (primary verified email)', () => {
  it('links by the primary verified email, and signs in', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email: 'octo@example.com', password: 'plum-harbor-lantern-9' },
    })
    github.user = {
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
    github.user = {
      id: '5002',
      name: 'Mallory',
      emails: [{ email: 'octo@example.com', primary: true, verified: false }],
    }
    const { back } = await signIn('github')
    expect(back.searchParams.get('error')).toBe('email_unavailable')
  })

  it('turns the provider’s access_denied into ?error=access_denied, signing nobody in', async () => {
    github.denyNext = true
    const { back, tokens } = await signIn('github')
    expect(back.searchParams.get('error')).toBe('access_denied')
    expect(tokens).toBeUndefined()
  })
})

describe('Yandex (user info, no verified flag)', () => {
  it('creates an account whose email is not verified', async () => {
    yandex.user = {
      id: '7001',
      name: 'Ivan',
      emails: [{ email: 'ivan@example.ru', primary: true, verified: true }],
    }
    const { tokens } = await signIn('yandex')
    expect(await meOf(tokens?.access_token ?? '')).toMatchObject({
      email: 'ivan@example.ru',
      emailVerified: false,
    })
  })

  it('never links its email to an existing account', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email: 'taken@example.ru', password: 'plum-harbor-lantern-9' },
    })
    yandex.user = {
      id: '7002',
      name: 'Other',
      emails: [{ email: 'taken@example.ru', primary: true, verified: true }],
    }
    const { back } = await signIn('yandex')
    expect(back.searchParams.get('error')).toBe('account_exists')
  })

  it('refuses user info issued to another client_id', async () => {
    yandex.user = {
      id: '7003',
      name: 'Eve',
      emails: [{ email: 'eve@example.ru', primary: true, verified: true }],
    }
    yandex.userInfoClientId = 'someone-elses-app'
    try {
      const { back } = await signIn('yandex')
      expect(back.searchParams.get('error')).toBe('provider_error')
      expect(await t.app.db.users.findByEmail('eve@example.ru')).toBeUndefined()
    } finally {
      yandex.userInfoClientId = undefined
    }
  })
})

describe('forged, replayed and injected callbacks', () => {
  it('refuses a wrong state', async () => {
    github.user = {
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
    github.user = {
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
    github.user = {
      id: '8003',
      name: 'Attacker',
      emails: [{ email: 'attacker@example.com', primary: true, verified: true }],
    }
    const victim = await start('github')
    // the attacker's own code, obtained with the attacker's own verifier
    const attackerCode = github.codeFor(codeChallengeS256(newCodeVerifier()))
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
    github.user = {
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
    nextGoogleUser = { sub: 'g-solo', email: 'solo@example.com', email_verified: true }
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
    await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email: 'both@example.com', password: 'plum-harbor-lantern-9' },
    })
    nextGoogleUser = { sub: 'g-both', email: 'both@example.com', email_verified: true }
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
