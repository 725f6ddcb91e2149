/**
 * What the users-service needs of an issuer, without the auth-service: a JWKS over real HTTP on
 * a loopback port, and access tokens signed the way the auth-service signs them (RFC 9068: header
 * typ at+jwt and kid; claims iss, aud, sub, sid, role, jti, iat, exp), and client tokens the way
 * its token endpoint does for the client-credentials grant (docs/design.md, Tokens: sub =
 * client_id = the client's id, scope, no sid, no role). Tests that need the real auth-service
 * live in e2e/: a service's own suite never imports the other service.
 */
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'

export interface StandInIssuer {
  /** The kid of the one key the JWKS publishes. */
  kid: string
  jwksUrl: string
  /**
   * An access token for a user's session, living `ttlSeconds` from now (with `scope` only when
   * given: the auth-service issues user tokens without one).
   */
  accessToken(subject: {
    userId: string
    sessionId: string
    role: string
    scope?: string
    /** RFC 8176 values, as the auth-service records how the session signed in. */
    amr?: string[]
  }): Promise<string>
  /**
   * A client token (client-credentials grant) for `clientId` with `scope` (space-separated;
   * none when undefined), living `ttlSeconds` from now. `claims` are added last, for negative
   * tests (a role, another client_id).
   */
  clientToken(options: {
    clientId: string
    scope?: string
    claims?: Record<string, unknown>
  }): Promise<string>
  close(): Promise<void>
}

/** A row of the revocation feed, as the database holds it. */
export interface FeedRow {
  id: number
  kind: 'session' | 'user'
  subjectId: string
  userId: string
  revokedAt: Date
}

export async function startStandInIssuer(options: {
  issuer: string
  audience: string
  ttlSeconds: number
  /**
   * The revocation feed's rows after a cursor (the database's, as the auth-service reads them):
   * served at /revocations the way the auth-service serves them, long poll included.
   */
  revocationsAfter?: (cursor: number) => Promise<FeedRow[]>
}): Promise<StandInIssuer> {
  const kid = `stand-in-${randomUUID()}`
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  const jwks = JSON.stringify({
    keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }],
  })
  const feed = async (url: URL): Promise<string> => {
    const after = Number(url.searchParams.get('after') ?? 0)
    const deadline = Date.now() + Math.min(Number(url.searchParams.get('wait') ?? 0), 1) * 1000
    let rows = (await options.revocationsAfter?.(after)) ?? []
    while (rows.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      rows = (await options.revocationsAfter?.(after)) ?? []
    }
    const keepMs = (options.ttlSeconds + 60) * 1000
    return JSON.stringify({
      cursor: rows.at(-1)?.id ?? after,
      entries: rows.map((row) => ({
        kind: row.kind,
        id: row.subjectId,
        user_id: row.userId,
        revoked_at: row.revokedAt.toISOString(),
        keep_until: new Date(row.revokedAt.getTime() + keepMs).toISOString(),
      })),
      more: false,
    })
  }
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in')
    if (url.pathname === '/revocations') {
      feed(url).then(
        (body) => {
          res.writeHead(200, { 'content-type': 'application/json' })
          res.end(body)
        },
        () => {
          res.writeHead(503)
          res.end()
        },
      )
      return
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' })
    res.end(jwks)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    kid,
    jwksUrl: `http://127.0.0.1:${port}/auth/.well-known/jwks.json`,
    accessToken({ userId, sessionId, role, scope, amr }) {
      const iat = Math.floor(Date.now() / 1000)
      return new SignJWT({
        sid: sessionId,
        role,
        ...(scope !== undefined ? { scope } : {}),
        ...(amr !== undefined ? { amr } : {}),
      })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt' })
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setSubject(userId)
        .setIssuedAt(iat)
        .setExpirationTime(iat + options.ttlSeconds)
        .setJti(randomUUID())
        .sign(privateKey)
    },
    clientToken({ clientId, scope, claims }) {
      const iat = Math.floor(Date.now() / 1000)
      return new SignJWT({
        client_id: clientId,
        ...(scope !== undefined ? { scope } : {}),
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt' })
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setSubject(clientId)
        .setIssuedAt(iat)
        .setExpirationTime(iat + options.ttlSeconds)
        .setJti(randomUUID())
        .sign(privateKey)
    },
    close() {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
