import { createPublicKey, type JsonWebKeyInput, type KeyObject } from 'node:crypto'
import { JwtVerifyError } from './errors.js'

export type JwksEvent =
  | { type: 'fetched'; keys: number; maxAgeSeconds: number }
  | { type: 'fetch_failed'; error: Error; servingStale: boolean }
  | { type: 'key_skipped'; kid: string | undefined; reason: string }

export interface JwksCacheOptions {
  /** The JWKS URL, from configuration. Never derived from a token (its `iss` or `jku`). */
  url: string
  /** Algorithms the verifier accepts; keys for anything else are ignored. */
  algorithms: readonly string[]
  /** Lifetime when the response has no usable Cache-Control max-age, seconds. Default 300. */
  defaultMaxAgeSeconds?: number
  /** Floor for Cache-Control max-age, seconds (a max-age=0 must not mean a fetch per request). Default 30. */
  minMaxAgeSeconds?: number
  /** Ceiling for Cache-Control max-age, seconds (a rotated key must be seen eventually). Default 3600. */
  maxMaxAgeSeconds?: number
  /** An unknown kid triggers at most one refetch per this many milliseconds. Default 30000. */
  unknownKidCooldownMs?: number
  /** After a failed fetch, wait this long before trying again, milliseconds. Default 5000. */
  retryAfterErrorMs?: number
  /** Abort a JWKS fetch after this many milliseconds. Default 5000. */
  timeoutMs?: number
  /** Refuse a JWKS response larger than this, bytes. Default 262144 (256 KiB). */
  maxResponseBytes?: number
  /** Refuse a JWKS with more keys than this. Default 100. */
  maxKeys?: number
  /** Told of fetches, failures and skipped keys: for logs and metrics. */
  onEvent?: (event: JwksEvent) => void
  /** The clock, milliseconds. Default Date.now. */
  now?: () => number
}

interface CachedKey {
  key: KeyObject
  alg: string | undefined
}

const KEY_TYPE_FOR_ALG: Record<string, string> = {
  RS256: 'RSA',
  RS384: 'RSA',
  RS512: 'RSA',
  PS256: 'RSA',
  PS384: 'RSA',
  PS512: 'RSA',
  ES256: 'EC',
  ES384: 'EC',
  ES512: 'EC',
  EdDSA: 'OKP',
  Ed25519: 'OKP',
}

function parseMaxAge(header: string | null): number | undefined {
  if (!header) return undefined
  if (/(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)/i.test(header)) return 0
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(header)
  return match ? Number(match[1]) : undefined
}

/**
 * The JWKS, fetched lazily and cached for the response's Cache-Control max-age (bounded).
 * One fetch is in flight at a time; callers share it. An unknown kid refetches at most once per
 * cool-down, so a flood of random kids costs one request.
 *
 * Past max-age the keys held keep serving while a refetch runs in the background
 * (stale-while-revalidate, RFC 5861 §3): a request for a kid already held never waits on the
 * network, so a JWKS endpoint that hangs costs no request its fetch timeout. Only a request
 * that has nothing to check with (no JWKS fetched yet, or a kid the JWKS does not hold) waits
 * on a fetch. When the source is down, the keys already held keep serving (stale-if-error) and
 * `onEvent` hears about it.
 */
export class JwksCache {
  private keys = new Map<string, CachedKey>()
  private loaded = false
  private expiresAt = 0
  private lastAttemptAt = Number.NEGATIVE_INFINITY
  private lastFailedAt = Number.NEGATIVE_INFINITY
  private inFlight: Promise<void> | undefined
  private readonly options: Required<Omit<JwksCacheOptions, 'onEvent'>> &
    Pick<JwksCacheOptions, 'onEvent'>
  /** Number of HTTP fetches attempted (for tests and metrics). */
  fetchCount = 0

  constructor(options: JwksCacheOptions) {
    let url: URL
    try {
      url = new URL(options.url)
    } catch {
      throw new TypeError(`jwksUrl must be an absolute URL, got ${JSON.stringify(options.url)}`)
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new TypeError('jwksUrl must be an http(s) URL')
    }
    this.options = {
      defaultMaxAgeSeconds: 300,
      minMaxAgeSeconds: 30,
      maxMaxAgeSeconds: 3600,
      unknownKidCooldownMs: 30_000,
      retryAfterErrorMs: 5_000,
      timeoutMs: 5_000,
      maxResponseBytes: 262_144,
      maxKeys: 100,
      now: Date.now,
      ...options,
    }
  }

  /**
   * The key for kid when the cached JWKS holds it with a fitting alg, fresh or stale (a stale
   * JWKS starts a background refetch); otherwise undefined, and getKey decides (fetch,
   * cool-down, errors). Lets a verification of a token under a known key run without waiting a
   * promise turn.
   */
  peekKey(kid: string, alg: string): KeyObject | undefined {
    const entry = this.keys.get(kid)
    if (!entry || (entry.alg !== undefined && entry.alg !== alg)) return undefined
    this.revalidateIfStale()
    return entry.key
  }

  /**
   * The key kid names in the JWKS held now (undefined once a fetch no longer holds it), for the
   * verifier's remembered tokens; a stale JWKS starts a background refetch. A Map lookup: an
   * unchanged key keeps its KeyObject across refetches, so callers compare by identity.
   */
  currentKey(kid: string, now: number = this.options.now()): KeyObject | undefined {
    const entry = this.keys.get(kid)
    if (entry && now >= this.expiresAt) void this.refreshIfAllowed(now, false)
    return entry?.key
  }

  /** The fetch in flight, if any; it settles (never rejects) when the fetch ends. For tests. */
  get refreshing(): Promise<void> | undefined {
    return this.inFlight
  }

  /** The key for `kid`, usable with `alg`; throws JwtVerifyError otherwise. */
  async getKey(kid: string, alg: string): Promise<KeyObject> {
    // Nothing to check with yet: this request has to wait for the first fetch.
    if (!this.loaded) await this.refreshIfAllowed(this.options.now(), false)
    let entry = this.keys.get(kid)
    if (!entry) {
      // A kid we do not hold may be a key published since the last fetch: worth a wait, at most
      // one fetch per cool-down (joining one already in flight).
      await this.refreshIfAllowed(this.options.now(), true)
      entry = this.keys.get(kid)
    }
    this.revalidateIfStale()
    if (!entry) {
      if (!this.loaded) {
        throw new JwtVerifyError('jwks_unavailable', 'the JWKS could not be fetched')
      }
      throw new JwtVerifyError('kid_unknown', 'the token names a key the JWKS does not hold')
    }
    if (entry.alg !== undefined && entry.alg !== alg) {
      throw new JwtVerifyError('alg_not_allowed', 'the token’s alg does not match its key')
    }
    return entry.key
  }

  /**
   * Makes the next lookup refetch, lifting the cool-downs (tests, or after a known rotation):
   * in the background when the lookup's kid is held, waited on when it is not.
   */
  invalidate(): void {
    this.expiresAt = 0
    this.lastAttemptAt = Number.NEGATIVE_INFINITY
    this.lastFailedAt = Number.NEGATIVE_INFINITY
  }

  /** Past max-age: a refetch in the background, subject to retryAfterErrorMs; nobody waits. */
  private revalidateIfStale(): void {
    const now = this.options.now()
    if (now >= this.expiresAt) void this.refreshIfAllowed(now, false)
  }

  private refreshIfAllowed(now: number, forUnknownKid: boolean): Promise<void> {
    if (this.inFlight) return this.inFlight
    if (now - this.lastFailedAt < this.options.retryAfterErrorMs) return Promise.resolve()
    if (forUnknownKid && now - this.lastAttemptAt < this.options.unknownKidCooldownMs) {
      return Promise.resolve()
    }
    this.lastAttemptAt = now
    this.inFlight = this.fetchKeys()
      .catch((error: Error) => {
        this.lastFailedAt = this.options.now()
        this.options.onEvent?.({ type: 'fetch_failed', error, servingStale: this.loaded })
      })
      .finally(() => {
        this.inFlight = undefined
      })
    return this.inFlight
  }

  private async fetchKeys(): Promise<void> {
    this.fetchCount++
    const response = await fetch(this.options.url, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(this.options.timeoutMs),
    })
    if (!response.ok) throw new Error(`JWKS answered HTTP ${response.status}`)
    const body = await readBounded(response, this.options.maxResponseBytes)
    let document: unknown
    try {
      document = JSON.parse(body)
    } catch {
      throw new Error('JWKS is not JSON')
    }
    const list = (document as { keys?: unknown } | null)?.keys
    if (!Array.isArray(list)) throw new Error('JWKS has no "keys" array')
    if (list.length > this.options.maxKeys)
      throw new Error(`JWKS holds over ${this.options.maxKeys} keys`)

    const keys = new Map<string, CachedKey>()
    for (const jwk of list as Record<string, unknown>[]) {
      const skip = this.rejectReason(jwk)
      const kid = typeof jwk?.kid === 'string' ? jwk.kid : undefined
      if (skip || kid === undefined) {
        this.options.onEvent?.({ type: 'key_skipped', kid, reason: skip ?? 'no kid' })
        continue
      }
      try {
        const key = createPublicKey({ key: jwk, format: 'jwk' } as JsonWebKeyInput)
        const alg = typeof jwk.alg === 'string' ? jwk.alg : undefined
        // An unchanged key keeps the KeyObject it had, so what it verified stays remembered.
        const held = this.keys.get(kid)
        keys.set(kid, held && held.alg === alg && held.key.equals(key) ? held : { key, alg })
      } catch {
        this.options.onEvent?.({ type: 'key_skipped', kid, reason: 'not a valid public key' })
      }
    }
    const { minMaxAgeSeconds, maxMaxAgeSeconds, defaultMaxAgeSeconds } = this.options
    const declared = parseMaxAge(response.headers.get('cache-control')) ?? defaultMaxAgeSeconds
    const maxAge = Math.min(maxMaxAgeSeconds, Math.max(minMaxAgeSeconds, declared))
    this.keys = keys
    this.loaded = true
    this.expiresAt = this.options.now() + maxAge * 1000
    this.options.onEvent?.({ type: 'fetched', keys: keys.size, maxAgeSeconds: maxAge })
  }

  /** Why a JWK is not usable for verification here, or undefined when it is. */
  private rejectReason(jwk: Record<string, unknown>): string | undefined {
    if (typeof jwk !== 'object' || jwk === null) return 'not an object'
    if (jwk.kty === 'oct') return 'symmetric keys are never accepted'
    if ('d' in jwk) return 'holds a private member'
    if (jwk.use !== undefined && jwk.use !== 'sig') return 'not a signing key'
    if (jwk.alg !== undefined) {
      if (typeof jwk.alg !== 'string' || !this.options.algorithms.includes(jwk.alg)) {
        return 'alg not accepted'
      }
      if (KEY_TYPE_FOR_ALG[jwk.alg] !== jwk.kty) return 'kty does not fit alg'
    } else if (!this.options.algorithms.some((alg) => KEY_TYPE_FOR_ALG[alg] === jwk.kty)) {
      return 'kty fits no accepted alg'
    }
    return undefined
  }
}

async function readBounded(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (declared > limit) throw new Error(`JWKS response over ${limit} bytes`)
  if (!response.body) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength
    if (size > limit) throw new Error(`JWKS response over ${limit} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}
