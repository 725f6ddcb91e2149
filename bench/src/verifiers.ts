/**
 * packages/jwt-verify beside the libraries the design card named (issue 19), in one process, on
 * one token, interleaved round by round: raw node:crypto RS256 verify of that token (the
 * ceiling), ours, fast-jwt (what @fastify/jwt verifies with) and jose, each uncached and cached
 * where the library has a cache of verified tokens. Each is configured to do the checks ours does
 * as far as it can; `checks` says which it does and which it cannot.
 *
 * Used by `pnpm bench` (main.ts) and by focused runs that only need a token and its JWKS URL.
 */
import {
  createPublicKey,
  verify as cryptoVerify,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto'
import { createVerifier as createOurVerifier } from '@authpair/jwt-verify'
import { createVerifier as createFastJwtVerifier } from 'fast-jwt'
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose'
import type { Row } from './report.js'

export interface VerifierBenchInput {
  token: string
  /** The issuer's JWKS; ours fetches it itself, the others get it (or its key) handed over. */
  jwksUrl: string
  issuer: string
  audience: string
  /** Seconds per measurement window; each candidate gets `rounds` windows, the best is kept. */
  seconds: number
  rounds?: number
}

export interface VerifierCandidate {
  name: string
  /** What it checks beyond the signature, in the words of docs/decisions.md. */
  checks: string
  uncached: number
  /** With the library's own cache of verified tokens; undefined where it has none. */
  cached: number | undefined
}

export interface VerifierComparison {
  /** node:crypto RS256 verify of the same token's signing input and signature, same key. */
  rawCrypto: number
  candidates: VerifierCandidate[]
}

const CLOCK_TOLERANCE_S = 5
const MAX_LIFETIME_S = 86_400

export const CHECKS = {
  ours:
    'alg pinned (RS256), key type fits alg, kid looked up in the JWKS, jku/x5u/jwk/x5c and crit refused, ' +
    'typ at+jwt, iss, aud, exp and nbf (±5 s), iat required and not in the future, exp − iat ≤ 1 day, ' +
    'sub and jti required, user/client claim shape (sid+role or client_id = sub, scope, amr types); ' +
    'revocation feed when configured (off in these rows)',
  fastJwt:
    'alg pinned (RS256; key type checked at creation), crit refused, typ at+jwt, iss, aud, exp and nbf (±5 s), ' +
    'iat no older than 1 day (maxAge), iss/aud/exp/iat/sub/jti required (requiredClaims: without it a token ' +
    'lacking exp, iss or aud passes); no kid lookup (one static key), no iat-in-the-future check, ' +
    'no claim-shape check, no revocation',
  jose:
    'alg pinned (RS256), key type fits alg, kid looked up (local JWKS), crit refused, typ at+jwt, iss, aud, ' +
    'exp and nbf (±5 s), iat not in the future and no older than 1 day (maxTokenAge), ' +
    'exp/sub/jti required; no claim-shape check, no revocation, no cache of verified tokens',
} as const

/** Calls per second of `fn` over a window; awaits only when fn returns a promise. */
async function rate(fn: () => unknown, seconds: number): Promise<number> {
  // One call first: a wrong configuration must fail here, never be timed as fast failures.
  await fn()
  const started = performance.now()
  const deadline = started + seconds * 1000
  let n = 0
  const first = fn()
  if (first instanceof Promise) {
    await first
    n++
    while (performance.now() < deadline) {
      await fn()
      n++
    }
  } else {
    n++
    while (performance.now() < deadline) {
      fn()
      n++
    }
  }
  return n / ((performance.now() - started) / 1000)
}

export async function compareVerifiers(input: VerifierBenchInput): Promise<VerifierComparison> {
  const { token, jwksUrl, issuer, audience } = input
  const rounds = input.rounds ?? 3
  const jwks = (await (await fetch(jwksUrl)).json()) as JSONWebKeySet
  const [encodedHeader = '', encodedPayload = '', encodedSignature = ''] = token.split('.')
  const { kid } = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString('utf8')) as {
    kid: string
  }
  const jwk = jwks.keys.find((k) => k.kid === kid)
  if (!jwk) throw new Error(`the token's kid ${kid} is not in ${jwksUrl}`)
  const keyObject: KeyObject = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
  const pem = keyObject.export({ type: 'spki', format: 'pem' }).toString()

  const signingInput = Buffer.from(`${encodedHeader}.${encodedPayload}`, 'ascii')
  const signature = Buffer.from(encodedSignature, 'base64url')
  const raw = () => {
    if (!cryptoVerify('sha256', signingInput, keyObject, signature)) throw new Error('raw: invalid')
  }

  const ours = (cacheMaxEntries: number) => {
    const verifier = createOurVerifier({
      jwksUrl,
      issuer,
      audience,
      algorithms: ['RS256'],
      clockToleranceSeconds: CLOCK_TOLERANCE_S,
      maxLifetimeSeconds: MAX_LIFETIME_S,
      cacheMaxEntries,
    })
    return () => verifier.verify(token)
  }
  const fastJwt = (cache: boolean) => {
    const verify = createFastJwtVerifier({
      key: pem,
      algorithms: ['RS256'],
      allowedIss: issuer,
      allowedAud: audience,
      checkTyp: 'at+jwt',
      clockTolerance: CLOCK_TOLERANCE_S * 1000,
      maxAge: MAX_LIFETIME_S * 1000,
      requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub', 'jti'],
      cache,
    })
    return () => verify(token)
  }
  const joseOptions = {
    algorithms: ['RS256'],
    issuer,
    audience,
    typ: 'at+jwt',
    clockTolerance: CLOCK_TOLERANCE_S,
    maxTokenAge: MAX_LIFETIME_S,
    requiredClaims: ['exp', 'sub', 'jti'],
  }
  const localJwks = createLocalJWKSet(jwks)
  const joseJwks = () => jwtVerify(token, localJwks, joseOptions)
  const joseKey = () => jwtVerify(token, keyObject, joseOptions)

  const measured: Array<[string, () => unknown]> = [
    ['raw', raw],
    ['ours', ours(0)],
    ['ours cached', ours(10_000)],
    ['fast-jwt', fastJwt(false)],
    ['fast-jwt cached', fastJwt(true)],
    ['jose jwks', joseJwks],
    ['jose key', joseKey],
  ]
  const best = new Map<string, number>()
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of measured) {
      const r = await rate(fn, input.seconds)
      best.set(name, Math.max(best.get(name) ?? 0, r))
    }
  }
  const at = (name: string) => best.get(name) ?? Number.NaN
  return {
    rawCrypto: at('raw'),
    candidates: [
      {
        name: 'ours (@authpair/jwt-verify)',
        checks: CHECKS.ours,
        uncached: at('ours'),
        cached: at('ours cached'),
      },
      {
        name: 'fast-jwt (@fastify/jwt)',
        checks: CHECKS.fastJwt,
        uncached: at('fast-jwt'),
        cached: at('fast-jwt cached'),
      },
      {
        name: 'jose, local JWKS',
        checks: CHECKS.jose,
        uncached: at('jose jwks'),
        cached: undefined,
      },
      {
        name: 'jose, KeyObject',
        checks: CHECKS.jose.replace('kid looked up (local JWKS)', 'no kid lookup (one key)'),
        uncached: at('jose key'),
        cached: undefined,
      },
    ],
  }
}

/**
 * The bench report's rows: each verifier uncached against raw node:crypto of the same run. The
 * issue's target (95% of raw) is ours; the libraries' rows are there to compare, with none.
 */
export function verifierRows(comparison: VerifierComparison): Row[] {
  return comparison.candidates.map((c, i) => ({
    scenario: `verify: ${c.name}`,
    requestsPerSecond: c.uncached,
    p50Ms: undefined,
    p99Ms: undefined,
    errors: 0,
    baseline: comparison.rawCrypto,
    baselineName: 'raw RS256 verify, same token and key',
    ratio: c.uncached / comparison.rawCrypto,
    target: i === 0 ? 0.95 : 0,
    note: `${c.cached === undefined ? 'no token cache' : `cached: ${c.cached.toFixed(0)}/s`}${
      i === 0 ? '' : '; to compare, no target'
    }`,
  }))
}

/** One line per candidate, for the log and for docs. */
export function describeComparison(comparison: VerifierComparison): string {
  const pct = (n: number) => `${((n / comparison.rawCrypto) * 100).toFixed(0)}%`
  return [
    `raw node:crypto RS256 verify: ${comparison.rawCrypto.toFixed(0)}/s`,
    ...comparison.candidates.map(
      (c) =>
        `${c.name}: uncached ${c.uncached.toFixed(0)}/s (${pct(c.uncached)} of raw), cached ${
          c.cached === undefined ? '–' : `${c.cached.toFixed(0)}/s`
        }`,
    ),
  ].join('\n')
}
