import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import type { KeyStore } from '../keys/key-store.js'

export interface AccessTokenSubject {
  userId: string
  sessionId: string
  role: string
  /** RFC 8176 authentication method references of the session's sign-in; omitted when empty. */
  amr: readonly string[]
}

/** What a client-credentials token says: the client itself, its granted scopes, one audience. */
export interface ClientTokenSubject {
  clientId: string
  scopes: readonly string[]
  audience: string
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
 * sub, exp, iat, jti, plus sid (the session, for revocation), role and amr (RFC 8176). Signed with the key the
 * KeyStore says is active now.
 */
export class AccessTokenIssuer {
  constructor(
    private readonly keys: KeyStore,
    private readonly options: AccessTokenIssuerOptions,
  ) {}

  /** A user's token: sid (the session, for revocation), role, and amr (how they signed in). */
  issue(subject: AccessTokenSubject): Promise<IssuedAccessToken> {
    return this.sign(
      {
        sid: subject.sessionId,
        role: subject.role,
        ...(subject.amr.length > 0 ? { amr: [...subject.amr] } : {}),
      },
      subject.userId,
      this.options.audience,
    )
  }

  /**
   * A client's token (the client-credentials grant): sub = client_id = the client's id, its
   * granted `scope` (RFC 9068 §2.2.3, space-separated), no sid and no role: it is nobody's
   * session, and verifiers tell it from a user's token by that.
   */
  issueForClient(subject: ClientTokenSubject): Promise<IssuedAccessToken> {
    return this.sign(
      { client_id: subject.clientId, scope: subject.scopes.join(' ') },
      subject.clientId,
      subject.audience,
    )
  }

  private async sign(
    claims: Record<string, string | string[]>,
    sub: string,
    audience: string,
  ): Promise<IssuedAccessToken> {
    const key = this.keys.activeKey()
    const iat = Math.floor(this.options.now().getTime() / 1000)
    const jti = randomUUID()
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(this.options.issuer)
      .setAudience(audience)
      .setSubject(sub)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.options.ttlSeconds)
      .setJti(jti)
      .sign(key.privateKey)
    return { token, expiresIn: this.options.ttlSeconds, jti }
  }
}
