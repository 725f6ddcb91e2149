/**
 * A real JWKS over HTTP for the tests: keys from jose, and knobs for what a hostile or broken
 * source might do (be down, hang, send junk, send a symmetric key).
 */
import { KeyObject, sign } from 'node:crypto'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'

export const ISSUER = 'https://auth.test'
export const AUDIENCE = 'api.test'

export interface SigningKey {
  kid: string
  alg: 'RS256' | 'ES256' | 'EdDSA'
  privateKey: Parameters<typeof KeyObject.from>[0]
  jwk: JWK
}

export async function makeKey(kid: string, alg: SigningKey['alg'] = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { kid, alg, privateKey, jwk }
}

export interface KeyServer {
  url: string
  keys: SigningKey[]
  requests: number
  cacheControl: string | undefined
  /**
   * 'ok', 'down' (HTTP 503), 'hang' (take the request and never answer), 'reset' (drop the
   * connection), or a raw body to send instead of the JWKS.
   */
  mode: 'ok' | 'down' | 'hang' | 'reset' | { body: string }
  /** Requests taken in 'hang' mode and not answered yet. */
  readonly hanging: number
  /** Drops the connection of every hanging request, and of every later one ('reset' mode). */
  hangUp(): void
  close(): Promise<void>
}

export async function startKeyServer(keys: SigningKey[]): Promise<KeyServer> {
  const held = new Set<ServerResponse>()
  const state: Omit<KeyServer, 'url' | 'close' | 'hanging' | 'hangUp'> = {
    keys,
    requests: 0,
    cacheControl: 'public, max-age=300',
    mode: 'ok',
  }
  const server: Server = createServer((_req, res) => {
    state.requests++
    if (state.mode === 'hang') {
      held.add(res)
      res.on('close', () => held.delete(res))
      return
    }
    if (state.mode === 'reset') {
      res.socket?.destroy()
      return
    }
    if (state.mode === 'down') {
      res.writeHead(503).end()
      return
    }
    const body =
      state.mode === 'ok' ? JSON.stringify({ keys: state.keys.map((k) => k.jwk) }) : state.mode.body
    res.writeHead(200, {
      'content-type': 'application/json',
      ...(state.cacheControl ? { 'cache-control': state.cacheControl } : {}),
    })
    res.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const hangUp = () => {
    state.mode = 'reset'
    for (const res of held) res.socket?.destroy()
  }
  return Object.defineProperties(
    Object.assign(state, {
      url: `http://127.0.0.1:${port}/jwks.json`,
      hangUp,
      close: () => {
        hangUp()
        server.closeAllConnections()
        return new Promise<void>((resolve) => server.close(() => resolve()))
      },
    }),
    { hanging: { get: () => held.size } },
  ) as KeyServer
}

export interface TokenOptions {
  header?: Record<string, unknown>
  claims?: Record<string, unknown>
  /** Seconds relative to now. */
  expiresIn?: number
}

/** A genuine access token as the auth-service makes them, signed with `key`. */
export function accessToken(key: SigningKey, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    sid: 'session-1',
    role: 'user',
    jti: 'jti-1',
    iat: now,
    exp: now + (options.expiresIn ?? 900),
    ...options.claims,
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...options.header })
    .sign(key.privateKey)
}

/**
 * A genuine client token as the token endpoint makes them (client-credentials grant, RFC 9068
 * §2.2): `sub` = `client_id` = the client's id, `scope`, and no `sid` or `role`.
 */
export function clientToken(
  key: SigningKey,
  options: TokenOptions & { scope?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'client-1',
    client_id: 'client-1',
    ...(options.scope !== undefined ? { scope: options.scope } : {}),
    jti: 'jti-c1',
    iat: now,
    exp: now + (options.expiresIn ?? 900),
    ...options.claims,
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...options.header })
    .sign(key.privateKey)
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** Any header and payload, unsigned or with any signature: for the attacks. */
export function forge(header: Record<string, unknown>, payload: unknown, signature = ''): string {
  return `${b64(header)}.${typeof payload === 'string' ? Buffer.from(payload).toString('base64url') : b64(payload)}.${signature}`
}

/** Signs any header and payload with node:crypto (jose refuses some headers, e.g. unknown crit). */
export function signRaw(
  key: SigningKey,
  header: Record<string, unknown>,
  payload: unknown,
): string {
  const input = forge(header, payload).slice(0, -1)
  const privateKey = KeyObject.from(key.privateKey)
  const signature =
    key.alg === 'RS256'
      ? sign('sha256', Buffer.from(input), privateKey)
      : sign(key.alg === 'ES256' ? 'sha256' : null, Buffer.from(input), {
          key: privateKey,
          dsaEncoding: 'ieee-p1363',
        })
  return `${input}.${signature.toString('base64url')}`
}
