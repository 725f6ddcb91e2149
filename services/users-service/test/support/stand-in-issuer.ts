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

export async function startStandInIssuer(options: {
  issuer: string
  audience: string
  ttlSeconds: number
}): Promise<StandInIssuer> {
  const kid = `stand-in-${randomUUID()}`
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  const jwks = JSON.stringify({
    keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }],
  })
  const server = createServer((_req, res) => {
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
