/**
 * One error class, JwtVerifyError, whose stable `code` names the failure (a closed union, so a
 * caller's `switch` on `error.code` narrows). Every verification failure is safe to report as
 * 401 invalid_token; only `jwks_unavailable` means "we could not check" (503).
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
