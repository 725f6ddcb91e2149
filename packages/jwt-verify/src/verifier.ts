import { verify as cryptoVerify, type KeyObject } from 'node:crypto'
import { p1363ToDer } from './ecdsa.js'
import { JwtVerifyError } from './errors.js'
import { JwksCache, type JwksCacheOptions, type JwksEvent } from './jwks-cache.js'
import { type KeyResolver, ResolvedKeys } from './resolved-keys.js'
import { RevocationFollower, type RevocationOptions } from './revocations.js'

export type { KeyResolver } from './resolved-keys.js'

/**
 * The claims of an authpair access token (RFC 9068 §2.2). Which of `sid`, `role`, `client_id`
 * and `scope` are present depends on the kind of token: see UserTokenClaims and
 * ClientTokenClaims.
 */
export interface AccessTokenClaims {
  [claim: string]: unknown
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat: number
  jti: string
  /** The session the token belongs to (user tokens only); revocation is per session. */
  sid?: string
  /** The user's role when the token was issued (user tokens only). */
  role?: string
  /** RFC 9068 §2.2: the OAuth client the token was issued to. */
  client_id?: string
  /** RFC 9068 §2.2.3, RFC 8693 §4.2: the granted scopes, space-separated. */
  scope?: string
  /** RFC 8176 authentication method references (user tokens): `pwd`, `fed`, `otp`, `mfa`… */
  amr?: string[]
}

/** A user's token: signed in through a session. */
export interface UserTokenClaims extends AccessTokenClaims {
  sid: string
  role: string
}

/** A client's token (client-credentials grant): `sub` is the client's id; no session, no role. */
export interface ClientTokenClaims extends AccessTokenClaims {
  client_id: string
  sid?: undefined
  role?: undefined
}

/** A verified token of a user: who, which session, which role. */
export interface UserToken {
  readonly kind: 'user'
  readonly userId: string
  readonly sessionId: string
  readonly role: string
  /** The `scope` claim split on spaces; empty when there is none (user tokens carry none today). */
  readonly scopes: readonly string[]
  /**
   * How the sign-in was proven (RFC 8176 `amr`); `mfa` means two factors. Empty when the token
   * names none.
   */
  readonly amr: readonly string[]
  readonly claims: UserTokenClaims
}

/** A verified token of a client (an internal service), acting as itself, never as a user. */
export interface ClientToken {
  readonly kind: 'client'
  readonly clientId: string
  /** The `scope` claim split on spaces; empty when there is none. */
  readonly scopes: readonly string[]
  readonly claims: ClientTokenClaims
}

/**
 * What a verified token says about its bearer: a user (`kind: 'user'`) or a client
 * (`kind: 'client'`). Switch on `kind` before reading `userId`.
 */
export type VerifiedToken = UserToken | ClientToken

export type SupportedAlgorithm = 'RS256' | 'ES256' | 'EdDSA'
const SUPPORTED: readonly SupportedAlgorithm[] = ['RS256', 'ES256', 'EdDSA']

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
  /** Tolerated clock difference for exp, nbf and iat, seconds. Default 5; at most 300. */
  clockToleranceSeconds?: number
  /**
   * The longest lifetime a token may claim, exp − iat, seconds. Default 86400 (a day: the
   * auth-service's largest ACCESS_TOKEN_TTL_SECONDS); set it to the issuer's own TTL. A token
   * minted to live longer (a stolen signing key's month-long token, a backdated iat) is refused.
   */
  maxLifetimeSeconds?: number
  /** Tokens longer than this are refused before any parsing, bytes. Default 8192. */
  maxTokenBytes?: number
  /**
   * Verified tokens are remembered until they expire, or until the key that verified them is no
   * longer the one their kid names (0 turns the cache off). Default 10000 entries.
   */
  cacheMaxEntries?: number
  /** JWKS fetching and caching; see JwksCacheOptions for units and defaults. */
  jwks?: Omit<JwksCacheOptions, 'url' | 'algorithms' | 'onEvent' | 'now'>
  onJwksEvent?: (event: JwksEvent) => void
  /**
   * Follow the auth-service's revocation feed: tokens of ended sessions and disabled users are
   * then refused (`token_revoked`) within the feed's delay, at no I/O cost per verification.
   * Call `close()` when done, or the follow keeps the process alive.
   */
  revocation?: RevocationOptions
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
  /** How many verified tokens are remembered now (for metrics and tests). */
  readonly cachedTokens: number
  /** The revocation feed's follower (undefined without the `revocation` option). */
  readonly revocations: RevocationFollower | undefined
  /** Stops following the revocation feed. Idempotent. */
  close(): void
}

/** A verified token, remembered with what keeps it valid. */
interface Remembered {
  result: VerifiedToken
  kid: string
  alg: SupportedAlgorithm
  /** The key that verified it: the entry holds only while its kid still names this KeyObject. */
  key: KeyObject
  /** exp plus the clock tolerance, milliseconds. */
  until: number
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
  const maxLifetimeSeconds = options.maxLifetimeSeconds ?? 86_400
  if (
    typeof maxLifetimeSeconds !== 'number' ||
    !Number.isFinite(maxLifetimeSeconds) ||
    maxLifetimeSeconds <= 0
  ) {
    throw new TypeError('maxLifetimeSeconds must be a positive number of seconds')
  }
  const maxTokenBytes = options.maxTokenBytes ?? 8192
  const cacheMaxEntries = options.cacheMaxEntries ?? 10_000
  const now = options.now ?? Date.now

  // Keyed by the whole token string: any changed byte (header, claims or signature) is a miss.
  const verified = new Map<string, Remembered>()
  /** Forgets the remembered tokens whose kid no longer names the key that verified them. */
  const forgetTokensNotUnder = (currentKey: (kid: string) => KeyObject | undefined) => {
    for (const [token, entry] of verified) {
      if (currentKey(entry.kid) !== entry.key) verified.delete(token)
    }
  }

  const onJwksEvent = options.onJwksEvent
  const jwks =
    options.jwksUrl === undefined
      ? undefined
      : new JwksCache({
          ...options.jwks,
          url: options.jwksUrl,
          algorithms,
          now,
          onEvent: (event) => {
            // A withdrawn key's tokens go with the fetch that no longer holds it, presented or not.
            if (event.type === 'fetched') forgetTokensNotUnder((kid) => jwks?.currentKey(kid))
            onJwksEvent?.(event)
          },
        })
  const resolved =
    options.keyResolver === undefined
      ? undefined
      : new ResolvedKeys(options.keyResolver, now, (kid) => {
          for (const [token, entry] of verified) if (entry.kid === kid) verified.delete(token)
        })
  // Last among the options: a bad one above must not leave a feed request running.
  const revocations =
    options.revocation === undefined ? undefined : new RevocationFollower(options.revocation, now)
  const resolveKey: KeyResolver = resolved
    ? (kid, alg) => resolved.resolve(kid, alg)
    : (kid, alg) => (jwks as JwksCache).getKey(kid, alg)

  // Every token signed by one key carries the same header, so its decoded and checked form is
  // kept, keyed by the encoded segment. Only headers that passed are kept, and at most 64: an
  // attacker's made-up headers cost a decode each and can only churn this cache.
  const headers = new Map<string, CheckedHeader>()
  function checkedHeader(encoded: string): CheckedHeader | JwtVerifyError {
    const known = headers.get(encoded)
    if (known) return known
    const checked = checkHeader(encoded, algorithms)
    if (!(checked instanceof JwtVerifyError)) {
      if (headers.size >= 64) headers.clear()
      headers.set(encoded, checked)
    }
    return checked
  }

  async function verify(token: string): Promise<VerifiedToken> {
    if (typeof token !== 'string' || token.length === 0) {
      throw new JwtVerifyError('token_missing', 'no token')
    }
    if (token.length > maxTokenBytes) {
      throw new JwtVerifyError('token_too_large', `token over ${maxTokenBytes} bytes`)
    }
    const remembered = cacheMaxEntries > 0 ? verified.get(token) : undefined
    if (remembered) {
      // Valid while unexpired and while its kid still names the key that verified it: a key
      // withdrawn from the JWKS (or replaced under its kid) takes its remembered tokens along.
      // With the JWKS a Map lookup; with a keyResolver, the resolver is asked again at most
      // once per KEY_RECHECK_MS per kid.
      const at = now()
      if (remembered.until > at) {
        const current = jwks
          ? jwks.currentKey(remembered.kid, at)
          : ((resolved as ResolvedKeys).fresh(remembered.kid) ??
            (await (resolved as ResolvedKeys).recheck(remembered.kid, remembered.alg)))
        if (current === remembered.key) {
          revocations?.check(remembered.result)
          return remembered.result
        }
      }
      verified.delete(token)
    }

    // RFC 7515 §7.1 compact serialization, checked by hand with node:crypto's synchronous
    // verify: the WebCrypto path costs several times the signature check itself (measured in
    // bench/), and every check below is explicit. One pass over the token checks its alphabet
    // (base64url and the dots); exactly two dots make three segments. No split: the segments
    // are slices of the token, and the signing input is its prefix, not a new concatenation.
    const firstDot = token.indexOf('.')
    const secondDot = firstDot < 0 ? -1 : token.indexOf('.', firstDot + 1)
    if (
      secondDot < 0 ||
      token.indexOf('.', secondDot + 1) >= 0 ||
      !BASE64URL_AND_DOTS.test(token)
    ) {
      throw new JwtVerifyError('token_malformed', 'the token is not a compact JWS')
    }
    const checked = checkedHeader(token.slice(0, firstDot))
    if (checked instanceof JwtVerifyError) throw checked
    const { kid, alg } = checked
    // A cached key answers without a promise turn (a stale JWKS refetches in the background);
    // anything else goes through getKey.
    const key: KeyObject = jwks?.peekKey(kid, alg) ?? (await resolveKey(kid, alg))
    if (!keyFitsAlg(key, alg)) {
      throw new JwtVerifyError('alg_not_allowed', 'the token’s alg does not fit its key')
    }
    // Every character is base64url or a dot (checked above), so latin1 is the ASCII bytes.
    const signingInput = Buffer.from(token.slice(0, secondDot), 'latin1')
    const signature = Buffer.from(token.slice(secondDot + 1), 'base64url')
    let valid = false
    try {
      if (alg === 'ES256') {
        // The key goes bare, the signature in DER: see ecdsa.ts for why not dsaEncoding.
        const der = p1363ToDer(signature)
        valid = der !== undefined && cryptoVerify('sha256', signingInput, key, der)
      } else {
        valid = cryptoVerify(alg === 'EdDSA' ? null : 'sha256', signingInput, key, signature)
      }
    } catch {
      valid = false
    }
    if (!valid) throw new JwtVerifyError('signature_invalid', 'the signature does not verify')

    // RFC 9068 §4: typ at+jwt (the media type may be written in full); read once per header.
    if (!checked.accessToken)
      throw new JwtVerifyError('claim_invalid', 'the token is not an access token (typ)')
    const payload = decodeJsonObject(token.slice(firstDot + 1, secondDot))
    if (!payload) throw new JwtVerifyError('token_malformed', 'the claims are not a JSON object')
    const nowSeconds = now() / 1000
    if (payload.iss !== options.issuer)
      throw new JwtVerifyError('claim_invalid', 'claim "iss" is not acceptable')
    const aud = payload.aud
    if (!(aud === options.audience || (Array.isArray(aud) && aud.includes(options.audience)))) {
      throw new JwtVerifyError('claim_invalid', 'claim "aud" is not acceptable')
    }
    if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) {
      throw new JwtVerifyError('claim_invalid', 'claim "exp" is missing')
    }
    if (payload.exp <= nowSeconds - clockTolerance)
      throw new JwtVerifyError('token_expired', 'the token has expired')
    if (payload.nbf !== undefined) {
      if (typeof payload.nbf !== 'number')
        throw new JwtVerifyError('claim_invalid', 'claim "nbf" is not a number')
      if (payload.nbf > nowSeconds + clockTolerance) {
        throw new JwtVerifyError('token_not_yet_valid', 'the token is not valid yet')
      }
    }
    if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat))
      throw new JwtVerifyError('claim_invalid', 'claim "iat" is missing')
    // RFC 7519 §4.1.6 makes iat informational, but the issuer's clock never runs ahead of ours
    // by more than the skew: a token "issued" later than that was minted by a clock that is
    // wrong (or set ahead on purpose to outlive a key's retirement). claim_invalid, as jose
    // does, not token_not_yet_valid: waiting does not make such a token trustworthy.
    if (payload.iat > nowSeconds + clockTolerance)
      throw new JwtVerifyError('claim_invalid', 'claim "iat" is in the future')
    // Both ends come from the issuer's clock, so no skew applies to the difference.
    if (payload.exp - payload.iat > maxLifetimeSeconds) {
      throw new JwtVerifyError('claim_invalid', 'the token claims a lifetime over the cap')
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw new JwtVerifyError('claim_invalid', 'claim "sub" is missing')
    }
    if (typeof payload.jti !== 'string' || payload.jti === '') {
      throw new JwtVerifyError('claim_invalid', 'claim "jti" is missing')
    }
    const result = bearerOf(payload as AccessTokenClaims)
    if (cacheMaxEntries > 0) {
      if (verified.size >= cacheMaxEntries) {
        // Evict the oldest insertion (Map keeps insertion order): a bounded FIFO.
        const oldest = verified.keys().next().value
        if (oldest !== undefined) verified.delete(oldest)
      }
      verified.set(token, {
        result,
        kid,
        alg,
        key,
        until: (result.claims.exp + clockTolerance) * 1000,
      })
    }
    // After remembering: a revoked token is refused on every repeat by the same check.
    revocations?.check(result)
    return result
  }

  return {
    verify,
    jwks,
    get cachedTokens() {
      return verified.size
    },
    revocations,
    close() {
      revocations?.close()
    },
  }
}

/**
 * Tells a user's token from a client's, by the claims the auth-service gives each
 * (docs/design.md, Tokens): a token with `sid` is a user's, and must name a role; a token
 * without `sid` whose `sub` is its own `client_id` is a client's (RFC 9068 §2.2 for the
 * client-credentials grant), and must not name a role. Anything else is refused rather than
 * guessed at: a token that fits neither shape was not made by our issuer as it works today.
 * Runs once per token (the result is remembered), so it costs nothing on a repeat.
 */
function bearerOf(claims: AccessTokenClaims): VerifiedToken {
  const scopes = scopesOf(claims.scope)
  if (claims.sid !== undefined) {
    if (typeof claims.sid !== 'string' || claims.sid === '') {
      throw new JwtVerifyError('claim_invalid', 'claim "sid" is not a string')
    }
    if (typeof claims.role !== 'string' || claims.role === '') {
      throw new JwtVerifyError('claim_invalid', 'a user token lacks "role"')
    }
    if (claims.client_id !== undefined && typeof claims.client_id !== 'string') {
      throw new JwtVerifyError('claim_invalid', 'claim "client_id" is not a string')
    }
    return Object.freeze({
      kind: 'user',
      userId: claims.sub,
      sessionId: claims.sid,
      role: claims.role,
      scopes,
      amr: amrOf(claims.amr),
      claims: claims as UserTokenClaims,
    })
  }
  if (claims.client_id !== claims.sub) {
    throw new JwtVerifyError('claim_invalid', 'the token is neither a user’s (sid) nor a client’s')
  }
  if (claims.role !== undefined) {
    throw new JwtVerifyError('claim_invalid', 'a client token carries "role"')
  }
  return Object.freeze({
    kind: 'client',
    clientId: claims.sub,
    scopes,
    claims: claims as ClientTokenClaims,
  })
}

const NO_SCOPES: readonly string[] = Object.freeze([])

/** RFC 8176 §1: `amr` is an array of strings; a token with anything else there is refused. */
function amrOf(amr: unknown): readonly string[] {
  if (amr === undefined) return NO_SCOPES
  if (!Array.isArray(amr) || !amr.every((value) => typeof value === 'string')) {
    throw new JwtVerifyError('claim_invalid', 'claim "amr" is not an array of strings')
  }
  return Object.freeze([...amr])
}

/** RFC 6749 §3.3 (the `scope` claim of RFC 8693 §4.2): scope-tokens separated by spaces. */
function scopesOf(scope: unknown): readonly string[] {
  if (scope === undefined) return NO_SCOPES
  if (typeof scope !== 'string') {
    throw new JwtVerifyError('claim_invalid', 'claim "scope" is not a string')
  }
  const scopes = scope.split(' ').filter((s) => s !== '')
  return scopes.length === 0 ? NO_SCOPES : Object.freeze(scopes)
}

interface CheckedHeader {
  kid: string
  alg: SupportedAlgorithm
  /**
   * RFC 9068 §4: typ is at+jwt (or application/at+jwt, any case). Refused only after the
   * signature verifies, as before the header was kept: a forged token says signature_invalid.
   */
  accessToken: boolean
}

/** The protected header's own checks: JSON object, no key-carrying headers, no crit, kid, alg. */
function checkHeader(
  encoded: string,
  algorithms: readonly SupportedAlgorithm[],
): CheckedHeader | JwtVerifyError {
  const header = decodeJsonObject(encoded)
  if (!header) return new JwtVerifyError('token_malformed', 'the token header is not a JSON object')
  for (const name of FORBIDDEN_HEADERS) {
    if (name in header) return new JwtVerifyError('header_forbidden', `header "${name}" is refused`)
  }
  // RFC 7515 §4.1.11: no extension is understood here, so any crit is refused.
  if ('crit' in header) {
    return new JwtVerifyError('token_malformed', 'critical header extensions are refused')
  }
  if (typeof header.kid !== 'string' || header.kid.length === 0) {
    return new JwtVerifyError('kid_missing', 'the token names no key')
  }
  const alg = header.alg
  if (typeof alg !== 'string' || !algorithms.includes(alg as SupportedAlgorithm)) {
    return new JwtVerifyError('alg_not_allowed', 'the token’s alg is not accepted')
  }
  const typ =
    typeof header.typ === 'string' ? header.typ.toLowerCase().replace(/^application\//, '') : ''
  return { kid: header.kid, alg: alg as SupportedAlgorithm, accessToken: typ === 'at+jwt' }
}

/**
 * Unpadded base64url (RFC 7515 §2) and the segments' dots, whose count is checked apart; an empty
 * segment fails later, where its meaning is checked.
 */
const BASE64URL_AND_DOTS = /^[A-Za-z0-9_.-]*$/

function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** The key's type must be the one the algorithm is defined for (RFC 7518 §3.3, §3.4; RFC 8037). */
function keyFitsAlg(key: KeyObject, alg: SupportedAlgorithm): boolean {
  if (key.type !== 'public') return false
  if (alg === 'RS256') return key.asymmetricKeyType === 'rsa'
  if (alg === 'ES256') {
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
  }
  return key.asymmetricKeyType === 'ed25519'
}
