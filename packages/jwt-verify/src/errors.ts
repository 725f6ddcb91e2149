/**
 * One error class, JwtVerifyError, whose stable `code` names the failure (a closed union, so a
 * caller's `switch` on `error.code` narrows). Every verification failure is safe to report as
 * 401 invalid_token; only `jwks_unavailable` and `revocation_stale` mean "we could not check"
 * (503).
 */
export type JwtVerifyErrorCode =
  | 'token_missing'
  | 'token_too_large'
  | 'token_malformed'
  | 'header_forbidden'
  | 'kid_missing'
  | 'alg_not_allowed'
  | 'kid_unknown'
  | 'signature_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'claim_invalid'
  | 'jwks_unavailable'
  /** The token's session ended, or its user was disabled after it was issued (revocation feed). */
  | 'token_revoked'
  /** The revocation feed has been silent past `failClosedAfterSeconds`. */
  | 'revocation_stale'

export class JwtVerifyError extends Error {
  readonly code: JwtVerifyErrorCode
  constructor(code: JwtVerifyErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'JwtVerifyError'
    this.code = code
  }
}

export function isJwtVerifyError(error: unknown): error is JwtVerifyError {
  return error instanceof JwtVerifyError
}

/**
 * A valid token that lacks a scope the resource needs: not a verification failure (the token is
 * good, it just does not reach this far), so it is its own class, answered 403 with RFC 6750
 * §3.1's `insufficient_scope` rather than 401. `challenge` is the WWW-Authenticate value to send.
 */
export class InsufficientScopeError extends Error {
  readonly code = 'insufficient_scope'
  /** Every scope the resource needs (RFC 6750 §3's `scope` attribute lists them all). */
  readonly scopes: readonly string[]
  /** `Bearer error="insufficient_scope", scope="…"` (RFC 6750 §3). */
  readonly challenge: string
  constructor(scopes: readonly string[], options?: ErrorOptions) {
    super(`the token lacks a scope this needs: ${scopes.join(' ')}`, options)
    this.name = 'InsufficientScopeError'
    this.scopes = Object.freeze([...scopes])
    this.challenge = `Bearer error="insufficient_scope", scope="${scopes.join(' ')}"`
  }
}

export function isInsufficientScopeError(error: unknown): error is InsufficientScopeError {
  return error instanceof InsufficientScopeError
}
