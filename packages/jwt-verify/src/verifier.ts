import type { KeyObject } from 'node:crypto'
import { decodeProtectedHeader, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose'
import { JwtVerifyError } from './errors.js'
import { JwksCache, type JwksCacheOptions, type JwksEvent } from './jwks-cache.js'

/** The claims of an authpair access token (RFC 9068 plus `sid` and `role`). */
export interface AccessTokenClaims extends JWTPayload {
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat: number
  jti: string
  /** The session the token belongs to; revocation is per session. */
  sid: string
  role: string
}

/** What a verified token says about its bearer. */
export interface VerifiedToken {
  userId: string
  sessionId: string
  role: string
  claims: AccessTokenClaims
}

export type SupportedAlgorithm = 'RS256' | 'ES256' | 'EdDSA'
const SUPPORTED: readonly SupportedAlgorithm[] = ['RS256', 'ES256', 'EdDSA']

/** Resolves a token's key in-process (the auth-service verifying its own tokens). */
export type KeyResolver = (kid: string, alg: string) => Promise<KeyObject>

export interface VerifierOptions {
  /** Where the keys are: the configured JWKS URL, e.g. http://auth:3001/auth/.well-known/jwks.json. */
  jwksUrl?: string
  /**
   * Instead of jwksUrl: a function that returns the key for a kid, or throws JwtVerifyError
   * (kid_unknown). Exactly one of jwksUrl and keyResolver is required.
   */
  keyResolver?: KeyResolver
  /** Required `iss`, exactly. */
  issuer: string
  /** Required `aud` (one of the token's audiences must match). */
  audience: string
  /** Accepted `alg` values; the token's own header never widens this. Default ['RS256']. */
  algorithms?: readonly SupportedAlgorithm[]
  /** Tolerated clock difference for exp and nbf, seconds. Default 5; at most 300. */
  clockToleranceSeconds?: number
  /** Tokens longer than this are refused before any parsing, bytes. Default 8192. */
  maxTokenBytes?: number
  /** Verified tokens are remembered until they expire (0 turns the cache off). Default 10000 entries. */
  cacheMaxEntries?: number
  /** JWKS fetching and caching; see JwksCacheOptions for units and defaults. */
  jwks?: Omit<JwksCacheOptions, 'url' | 'algorithms' | 'onEvent' | 'now'>
  onJwksEvent?: (event: JwksEvent) => void
  /** The clock, milliseconds. Default Date.now. */
  now?: () => number
}

/** RFC 7515 §4.1: header members that would let a token pick its own key. */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const

export interface Verifier {
  /** Verifies a compact JWS access token; resolves with its bearer or throws JwtVerifyError. */
  verify(token: string): Promise<VerifiedToken>
  /** The JWKS cache (undefined with a keyResolver). */
  readonly jwks: JwksCache | undefined
}

function requireString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${name} must be a non-empty string`)
  }
}

/**
 * Creates a verifier. Options are validated now, with a TypeError naming the bad one, so a
 * misconfiguration fails at start-up rather than on the first request.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  if ((options.jwksUrl === undefined) === (options.keyResolver === undefined)) {
    throw new TypeError('exactly one of jwksUrl and keyResolver is required')
  }
  if (options.jwksUrl !== undefined) requireString(options.jwksUrl, 'jwksUrl')
  requireString(options.issuer, 'issuer')
  requireString(options.audience, 'audience')
  const algorithms = [...(options.algorithms ?? ['RS256'])]
  if (algorithms.length === 0 || algorithms.some((alg) => !SUPPORTED.includes(alg))) {
    throw new TypeError(`algorithms must be a non-empty subset of ${SUPPORTED.join(', ')}`)
  }
  const clockTolerance = options.clockToleranceSeconds ?? 5
  if (!Number.isFinite(clockTolerance) || clockTolerance < 0 || clockTolerance > 300) {
    throw new TypeError('clockToleranceSeconds must be between 0 and 300')
  }
  const maxTokenBytes = options.maxTokenBytes ?? 8192
  const cacheMaxEntries = options.cacheMaxEntries ?? 10_000
  const now = options.now ?? Date.now

  const jwks =
    options.jwksUrl === undefined
      ? undefined
      : new JwksCache({
          ...options.jwks,
          url: options.jwksUrl,
          algorithms,
          now,
          ...(options.onJwksEvent ? { onEvent: options.onJwksEvent } : {}),
        })
  const resolveKey: KeyResolver =
    options.keyResolver ?? ((kid, alg) => (jwks as JwksCache).getKey(kid, alg))

  // Keyed by the whole token string: any changed byte (header, claims or signature) is a miss.
  const verified = new Map<string, VerifiedToken>()

  async function verify(token: string): Promise<VerifiedToken> {
    if (typeof token !== 'string' || token.length === 0) {
      throw new JwtVerifyError('token_missing', 'no token')
    }
    if (token.length > maxTokenBytes) {
      throw new JwtVerifyError('token_too_large', `token over ${maxTokenBytes} bytes`)
    }
    const cached = verified.get(token)
    if (cached) {
      if (cached.claims.exp * 1000 + clockTolerance * 1000 > now()) return cached
      verified.delete(token)
    }

    let header: ReturnType<typeof decodeProtectedHeader>
    try {
      if (token.split('.').length !== 3) throw new Error('not a compact JWS')
      header = decodeProtectedHeader(token)
    } catch (error) {
      throw new JwtVerifyError('token_malformed', 'the token is not a JWS', { cause: error })
    }
    for (const name of FORBIDDEN_HEADERS) {
      if (name in header)
        throw new JwtVerifyError('header_forbidden', `header "${name}" is refused`)
    }
    if (typeof header.kid !== 'string' || header.kid.length === 0) {
      throw new JwtVerifyError('kid_missing', 'the token names no key')
    }
    if (typeof header.alg !== 'string' || !algorithms.includes(header.alg as SupportedAlgorithm)) {
      throw new JwtVerifyError('alg_not_allowed', 'the token’s alg is not accepted')
    }
    const key: KeyObject = await resolveKey(header.kid, header.alg)

    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, key, {
        algorithms,
        issuer: options.issuer,
        audience: options.audience,
        typ: 'at+jwt',
        clockTolerance,
        currentDate: new Date(now()),
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      }))
    } catch (error) {
      throw translateJoseError(error)
    }
    const claims = payload as AccessTokenClaims
    if (typeof claims.sid !== 'string' || typeof claims.role !== 'string') {
      throw new JwtVerifyError('claim_invalid', 'the token lacks sid or role')
    }
    const result: VerifiedToken = {
      userId: claims.sub,
      sessionId: claims.sid,
      role: claims.role,
      claims,
    }
    if (cacheMaxEntries > 0) {
      if (verified.size >= cacheMaxEntries) {
        // Evict the oldest insertion (Map keeps insertion order): a bounded FIFO.
        const oldest = verified.keys().next().value
        if (oldest !== undefined) verified.delete(oldest)
      }
      verified.set(token, result)
    }
    return result
  }

  return { verify, jwks }
}

function translateJoseError(error: unknown): JwtVerifyError {
  if (error instanceof joseErrors.JWTExpired) {
    return new JwtVerifyError('token_expired', 'the token has expired', { cause: error })
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' && error.reason === 'check_failed') {
      return new JwtVerifyError('token_not_yet_valid', 'the token is not valid yet', {
        cause: error,
      })
    }
    return new JwtVerifyError('claim_invalid', `claim "${error.claim}" is not acceptable`, {
      cause: error,
    })
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new JwtVerifyError('signature_invalid', 'the signature does not verify', {
      cause: error,
    })
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) {
    return new JwtVerifyError('alg_not_allowed', 'the token’s alg is not accepted', {
      cause: error,
    })
  }
  return new JwtVerifyError('token_malformed', 'the token is not acceptable', { cause: error })
}
