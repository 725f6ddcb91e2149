import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import type { KeyStore } from '../keys/key-store.js'

export interface AccessTokenSubject {
  userId: string
  sessionId: string
  role: string
}

export interface IssuedAccessToken {
  token: string
  expiresIn: number
  jti: string
}

export interface AccessTokenIssuerOptions {
  issuer: string
  audience: string
  ttlSeconds: number
  now: () => Date
}

/**
 * Access tokens per RFC 9068: header `typ: at+jwt` and the signing key's `kid`; claims iss, aud,
 * sub, exp, iat, jti, plus sid (the session, for revocation) and role. Signed with the key the
 * KeyStore says is active now.
 */
export class AccessTokenIssuer {
  constructor(
    private readonly keys: KeyStore,
    private readonly options: AccessTokenIssuerOptions,
  ) {}

  async issue(subject: AccessTokenSubject): Promise<IssuedAccessToken> {
    const key = this.keys.activeKey()
    const iat = Math.floor(this.options.now().getTime() / 1000)
    const jti = randomUUID()
    const token = await new SignJWT({ sid: subject.sessionId, role: subject.role })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setSubject(subject.userId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.options.ttlSeconds)
      .setJti(jti)
      .sign(key.privateKey)
    return { token, expiresIn: this.options.ttlSeconds, jti }
  }
}
