import { createRemoteJWKSet, jwtVerify } from 'jose'
import type { AuthConfig } from '../config.js'

export type ProviderId = 'google' | 'yandex' | 'github'

/** How people know each provider (mails, the provider list). */
export const PROVIDER_NAMES: Record<ProviderId, string> = {
  google: 'Google',
  yandex: 'Yandex',
  github: 'GitHub',
}

/** Who the provider says signed in. */
export interface ProviderProfile {
  providerUserId: string
  email: string | undefined
  /** True only when the provider asserts the address is verified. */
  emailVerified: boolean
  name: string | undefined
}

export interface ProviderTokens {
  accessToken: string
  idToken?: string | undefined
}

export interface Provider {
  id: ProviderId
  name: string
  authorizeUrl: string
  scopes: string
  /** Whether the authorization request carries an OIDC nonce (Google). */
  usesNonce: boolean
  exchange(code: string, codeVerifier: string, callbackUrl: string): Promise<ProviderTokens>
  profile(tokens: ProviderTokens, nonce: string): Promise<ProviderProfile>
}

export class ProviderError extends Error {
  readonly code = 'provider_error'
}

const TIMEOUT = 10_000

async function readJson(response: Response, what: string): Promise<Record<string, unknown>> {
  const text = await response.text()
  if (!response.ok) throw new ProviderError(`${what}: HTTP ${response.status}`)
  try {
    const value = JSON.parse(text) as unknown
    if (!value || typeof value !== 'object' || Array.isArray(value))
      throw new Error('not an object')
    return value as Record<string, unknown>
  } catch {
    throw new ProviderError(`${what}: not a JSON object`)
  }
}

/** RFC 6749 §4.1.3 with the client secret in the body and the PKCE verifier (RFC 7636 §4.5). */
async function exchangeCode(
  tokenUrl: string,
  clientId: string,
  clientSecret: string,
  code: string,
  codeVerifier: string,
  callbackUrl: string,
): Promise<ProviderTokens> {
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: callbackUrl,
      client_id: clientId,
      client_secret: clientSecret,
      code_verifier: codeVerifier,
    }),
    redirect: 'error',
    signal: AbortSignal.timeout(TIMEOUT),
  })
  const body = await readJson(response, 'token endpoint')
  if (typeof body.error === 'string') throw new ProviderError(`token endpoint: ${body.error}`)
  if (typeof body.access_token !== 'string')
    throw new ProviderError('token endpoint: no access_token')
  return {
    accessToken: body.access_token,
    idToken: typeof body.id_token === 'string' ? body.id_token : undefined,
  }
}

function google(config: AuthConfig): Provider | undefined {
  const clientId = config.GOOGLE_CLIENT_ID
  const clientSecret = config.GOOGLE_CLIENT_SECRET
  if (!clientId || !clientSecret) return undefined
  const jwks = createRemoteJWKSet(new URL(config.GOOGLE_JWKS_URL))
  return {
    id: 'google',
    name: PROVIDER_NAMES.google,
    authorizeUrl: config.GOOGLE_AUTHORIZE_URL,
    scopes: 'openid email profile',
    usesNonce: true,
    exchange: (code, verifier, callback) =>
      exchangeCode(config.GOOGLE_TOKEN_URL, clientId, clientSecret, code, verifier, callback),
    async profile(tokens, nonce) {
      if (!tokens.idToken) throw new ProviderError('no id_token')
      // OpenID Connect Core §3.1.3.7: signature from the provider's JWKS, iss, aud, exp, nonce.
      const { payload } = await jwtVerify(tokens.idToken, jwks, {
        issuer: config.GOOGLE_ISSUER,
        audience: clientId,
        algorithms: ['RS256'],
        clockTolerance: 30,
      }).catch((error: Error) => {
        throw new ProviderError(`id_token: ${error.message}`)
      })
      if (payload.nonce !== nonce) throw new ProviderError('id_token: nonce mismatch')
      if (typeof payload.sub !== 'string') throw new ProviderError('id_token: no sub')
      return {
        providerUserId: payload.sub,
        email: typeof payload.email === 'string' ? payload.email : undefined,
        emailVerified: payload.email_verified === true,
        name: typeof payload.name === 'string' ? payload.name : undefined,
      }
    },
  }
}

function yandex(config: AuthConfig): Provider | undefined {
  const clientId = config.YANDEX_CLIENT_ID
  const clientSecret = config.YANDEX_CLIENT_SECRET
  if (!clientId || !clientSecret) return undefined
  return {
    id: 'yandex',
    name: PROVIDER_NAMES.yandex,
    authorizeUrl: config.YANDEX_AUTHORIZE_URL,
    scopes: 'login:email login:info',
    usesNonce: false,
    exchange: (code, verifier, callback) =>
      exchangeCode(config.YANDEX_TOKEN_URL, clientId, clientSecret, code, verifier, callback),
    async profile(tokens) {
      const url = new URL(config.YANDEX_USERINFO_URL)
      url.searchParams.set('format', 'json')
      const info = await readJson(
        await fetch(url, {
          headers: { authorization: `OAuth ${tokens.accessToken}` },
          signal: AbortSignal.timeout(TIMEOUT),
        }),
        'user info',
      )
      // The token must have been issued to us, not to another app the user also signed in to.
      if (info.client_id !== clientId)
        throw new ProviderError('user info: token issued to another client')
      if (typeof info.id !== 'string' && typeof info.id !== 'number')
        throw new ProviderError('user info: no id')
      return {
        providerUserId: String(info.id),
        email: typeof info.default_email === 'string' ? info.default_email : undefined,
        // Yandex asserts no verified flag: its email never links to an existing account.
        emailVerified: false,
        name: typeof info.real_name === 'string' ? info.real_name : undefined,
      }
    },
  }
}

function github(config: AuthConfig): Provider | undefined {
  const clientId = config.GITHUB_CLIENT_ID
  const clientSecret = config.GITHUB_CLIENT_SECRET
  if (!clientId || !clientSecret) return undefined
  const api = (path: string, token: string) =>
    fetch(`${config.GITHUB_API_URL}${path}`, {
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/vnd.github+json',
        'user-agent': 'authpair',
      },
      signal: AbortSignal.timeout(TIMEOUT),
    })
  return {
    id: 'github',
    name: PROVIDER_NAMES.github,
    authorizeUrl: config.GITHUB_AUTHORIZE_URL,
    scopes: 'read:user user:email',
    usesNonce: false,
    exchange: (code, verifier, callback) =>
      exchangeCode(config.GITHUB_TOKEN_URL, clientId, clientSecret, code, verifier, callback),
    async profile(tokens) {
      const user = await readJson(await api('/user', tokens.accessToken), '/user')
      if (typeof user.id !== 'number' && typeof user.id !== 'string')
        throw new ProviderError('/user: no id')
      const response = await api('/user/emails', tokens.accessToken)
      const text = await response.text()
      if (!response.ok) throw new ProviderError(`/user/emails: HTTP ${response.status}`)
      const emails = JSON.parse(text) as {
        email?: unknown
        primary?: unknown
        verified?: unknown
      }[]
      const primary = Array.isArray(emails)
        ? emails.find(
            (e) => e.primary === true && e.verified === true && typeof e.email === 'string',
          )
        : undefined
      return {
        providerUserId: String(user.id),
        email: primary ? String(primary.email) : undefined,
        emailVerified: primary !== undefined,
        name:
          typeof user.name === 'string'
            ? user.name
            : typeof user.login === 'string'
              ? user.login
              : undefined,
      }
    },
  }
}

/** The providers this deployment enables (each by its client id and secret). */
export function configuredProviders(config: AuthConfig): Map<ProviderId, Provider> {
  const providers = new Map<ProviderId, Provider>()
  for (const make of [google, yandex, github]) {
    const provider = make(config)
    if (provider) providers.set(provider.id, provider)
  }
  return providers
}
