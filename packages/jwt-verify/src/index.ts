export { isJwtVerifyError, JwtVerifyError, type JwtVerifyErrorCode } from './errors.js'
export { JwksCache, type JwksCacheOptions, type JwksEvent } from './jwks-cache.js'
export {
  type AccessTokenClaims,
  createVerifier,
  type KeyResolver,
  type SupportedAlgorithm,
  type VerifiedToken,
  type Verifier,
  type VerifierOptions,
} from './verifier.js'
