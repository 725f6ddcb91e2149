/**
 * The auth-service with all three providers configured against local servers (Google-style
 * against oauth2-mock-server, a real OIDC server written by others; GitHub and Yandex against
 * servers that answer like their APIs), and the browser's side of a sign-in over real HTTP.
 */
import { OAuth2Server } from 'oauth2-mock-server'
import { expect } from 'vitest'
import { codeChallengeS256, newCodeVerifier } from '../../src/oauth/pkce.js'
import { buildTestApp, type TestApp } from '../helper.js'
import { type ProviderMock, startProviderMock } from './provider-mocks.js'

export const CLIENT = 'https://client.example/oauth/done'

export interface GoogleUser {
  sub: string
  email: string
  email_verified: boolean
}

export interface Started {
  providerLocation: URL
  cookie: string
}

/** What the client app sends to /authorize beyond redirect_uri (its state and PKCE). */
export interface AppParams {
  state?: string
  code_challenge?: string
  code_challenge_method?: string
}

export interface OAuthHarness {
  t: TestApp
  google: OAuth2Server
  github: ProviderMock
  yandex: ProviderMock
  /** Who signs in at Google next. */
  setGoogleUser(user: GoogleUser): void
  start(provider: string, app?: AppParams, redirectUri?: string): Promise<Started>
  /** The browser at the provider: follow its redirect back to our callback URL. */
  atProvider(started: Started): Promise<URL>
  callback(callbackUrl: URL, cookie?: string): Promise<URL>
  /**
   * A whole sign-in as a client app does it: its own state and a PKCE pair, the callback, and
   * the exchange with the verifier. `tokens` is undefined when the callback carried no code.
   */
  signIn(
    provider: string,
  ): Promise<{ back: URL; tokens?: Record<string, string>; exchangeStatus?: number }>
  /** The user a token pair's access token names. */
  userOf(accessToken: string): ReturnType<TestApp['app']['db']['users']['findById']>
  close(): Promise<void>
}

export async function startOAuthHarness(
  env: Record<string, string> = {},
  options: { now?: () => Date } = {},
): Promise<OAuthHarness> {
  let nextGoogleUser: GoogleUser = { sub: 'g-1', email: 'g1@example.com', email_verified: true }
  const google = new OAuth2Server()
  await google.issuer.keys.generate('RS256')
  await google.start(0, '127.0.0.1')
  google.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }) => {
    Object.assign(token.payload, nextGoogleUser, { name: 'Google User' })
  })
  const github = await startProviderMock('github')
  const yandex = await startProviderMock('yandex')
  const issuer = google.issuer.url ?? ''
  const t = await buildTestApp(
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
      ...env,
    },
    options.now ? { now: options.now } : {},
  )

  async function start(provider: string, app: AppParams = {}, redirectUri = CLIENT) {
    const query = new URLSearchParams({ redirect_uri: redirectUri, ...app })
    const res = await t.app.inject({
      method: 'GET',
      url: `/auth/oauth/${provider}/authorize?${query}`,
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

  return {
    t,
    google,
    github,
    yandex,
    setGoogleUser(user) {
      nextGoogleUser = user
    },
    start,
    atProvider,
    callback,
    async signIn(provider) {
      const verifier = newCodeVerifier()
      const appState = newCodeVerifier()
      const started = await start(provider, {
        state: appState,
        code_challenge: codeChallengeS256(verifier),
        code_challenge_method: 'S256',
      })
      const back = await callback(await atProvider(started), started.cookie)
      // The app's own state comes back unchanged, with the code or with the error.
      expect(back.searchParams.get('state')).toBe(appState)
      const code = back.searchParams.get('code')
      if (!code) return { back }
      const res = await t.app.inject({
        method: 'POST',
        url: '/auth/oauth/exchange',
        payload: { code, code_verifier: verifier },
      })
      if (res.statusCode !== 200) return { back, exchangeStatus: res.statusCode }
      return { back, tokens: res.json(), exchangeStatus: 200 }
    },
    userOf(accessToken) {
      const claims = JSON.parse(
        Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString(),
      ) as { sub: string }
      return t.app.db.users.findById(claims.sub)
    },
    async close() {
      await t.close()
      await google.stop()
      await github.close()
      await yandex.close()
    },
  }
}
