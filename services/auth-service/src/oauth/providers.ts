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

/**
 * A provider as configured: its endpoints and credentials (the authorization and token steps
 * are @fastify/oauth2's, provider-flow.ts) and how it tells who signed in, which is ours.
 */
export interface Provider {
  id: ProviderId
  name: string
  authorizeUrl: string
  tokenUrl: string
  clientId: string
  clientSecret: string
  /** Space-separated. */
  scopes: string
  /** Whether the authorization request carries an OIDC nonce (Google). */
  usesNonce: boolean
  profile(tokens: ProviderTokens, nonce: string): Promise<ProviderProfile>
}

export class ProviderError extends Error {
  readonly code = 'provider_error'
}

/** Each user-info call (the token step has its own limit, provider-flow.ts). */
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

function google(config: AuthConfig): Provider | undefined {
  const clientId = config.GOOGLE_CLIENT_ID
  const clientSecret = config.GOOGLE_CLIENT_SECRET
  if (!clientId || !clientSecret) return undefined
  const jwks = createRemoteJWKSet(new URL(config.GOOGLE_JWKS_URL))
  return {
    id: 'google',
    name: PROVIDER_NAMES.google,
    authorizeUrl: config.GOOGLE_AUTHORIZE_URL,
    tokenUrl: config.GOOGLE_TOKEN_URL,
    clientId,
    clientSecret,
    scopes: 'openid email profile',
    usesNonce: true,
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
    tokenUrl: config.YANDEX_TOKEN_URL,
    clientId,
    clientSecret,
    scopes: 'login:email login:info',
    usesNonce: false,
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
    tokenUrl: config.GITHUB_TOKEN_URL,
    clientId,
    clientSecret,
    scopes: 'read:user user:email',
    usesNonce: false,
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
