import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { parseCookie, stringifySetCookie } from 'cookie'

/**
 * What the browser carries between /authorize and /callback, sealed with AES-256-GCM so it can
 * be neither read nor forged: the state, the PKCE verifier, the OIDC nonce, where to send the
 * browser back, and when it all expires.
 */
export interface OAuthFlowState {
  provider: string
  state: string
  codeVerifier: string
  nonce: string
  redirectUri: string
  /** The client app's own state, echoed back to it on the redirect. */
  appState?: string | undefined
  /** The client app's PKCE challenge (S256): its verifier must come with the login code. */
  appCodeChallenge?: string | undefined
  /** Epoch ms. */
  expiresAt: number
}

export const STATE_COOKIE = 'authpair_oauth'

/** A key for the cookie, derived from the key-encryption key (never the KEK itself). */
export function deriveCookieKey(kek: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), 'authpair oauth state cookie v1', 32))
}

export function sealState(key: Buffer, value: OAuthFlowState): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()])
  return [iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url')).join('.')
}

export function unsealState(key: Buffer, sealed: string | undefined): OAuthFlowState | undefined {
  if (!sealed) return undefined
  const [iv, body, tag] = sealed.split('.')
  if (!iv || !body || !tag) return undefined
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()])
    return JSON.parse(text.toString('utf8')) as OAuthFlowState
  } catch {
    return undefined
  }
}

/** The value of one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  return parseCookie(header ?? '')[name]
}

/** HttpOnly, SameSite=Lax (the provider's redirect back is a top-level GET), scoped to /auth/oauth. */
export function stateCookieHeader(value: string, maxAgeSeconds: number, secure: boolean): string {
  return stringifySetCookie({
    name: STATE_COOKIE,
    value,
    path: '/auth/oauth',
    maxAge: maxAgeSeconds,
    httpOnly: true,
    sameSite: 'lax',
    secure,
  })
}
