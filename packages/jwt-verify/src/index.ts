export {
  InsufficientScopeError,
  isInsufficientScopeError,
  isJwtVerifyError,
  JwtVerifyError,
  type JwtVerifyErrorCode,
} from './errors.js'
export { JwksCache, type JwksCacheOptions, type JwksEvent } from './jwks-cache.js'
export {
  type RevocationEvent,
  RevocationFollower,
  type RevocationOptions,
  type RevocationStatus,
} from './revocations.js'
export { assertScopes, hasScopes } from './scopes.js'
export {
  type AccessTokenClaims,
  type ClientToken,
  type ClientTokenClaims,
  createVerifier,
  type KeyResolver,
  type SupportedAlgorithm,
  type UserToken,
  type UserTokenClaims,
  type VerifiedToken,
  type Verifier,
  type VerifierOptions,
} from './verifier.js'
