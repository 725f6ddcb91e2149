import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { createVerifier, type JwksEvent, JwtVerifyError } from '../src/index.js'
import {
  AUDIENCE,
  accessToken,
  ISSUER,
  type KeyServer,
  makeKey,
  startKeyServer,
} from './support/key-server.js'

const servers: KeyServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
})

async function setup(cacheControl?: string, { cacheMaxEntries = 0 } = {}) {
  const key = await makeKey('k1')
  const server = await startKeyServer([key])
  server.cacheControl = cacheControl
  servers.push(server)
  let clock = Date.now()
  const events: JwksEvent[] = []
  const verifier = createVerifier({
    jwksUrl: server.url,
    issuer: ISSUER,
    audience: AUDIENCE,
    cacheMaxEntries,
    now: () => clock,
    onJwksEvent: (e) => events.push(e),
  })
  return {
    key,
    server,
    verifier,
    events,
    advance: (seconds: number) => {
      clock += seconds * 1000
    },
    // tokens are minted against the real clock; keep them valid while the verifier's clock moves
    token: (kid?: string) =>
      accessToken(key, { expiresIn: 86_400, ...(kid ? { header: { kid } } : {}) }),
  }
}

describe('JWKS fetching and caching', () => {
  it('fetches lazily, once for many concurrent first verifications', async () => {
    const t = await setup()
    expect(t.server.requests).toBe(0)
    const token = await t.token()
    await Promise.all(Array.from({ length: 50 }, () => t.verifier.verify(token)))
    expect(t.server.requests).toBe(1)
  })

  it('keeps the JWKS for the Cache-Control max-age, then refetches', async () => {
    const t = await setup('public, max-age=60')
    const token = await t.token()
    await t.verifier.verify(token)
    t.advance(59)
    await t.verifier.verify(token)
    expect(t.server.requests).toBe(1)
    t.advance(2)
    await t.verifier.verify(token)
    await t.verifier.jwks?.refreshing // the refetch runs behind the request (stale-while-revalidate)
    expect(t.server.requests).toBe(2)
  })

  it.each([
    ['max-age=0', 30],
    ['no-store', 30],
    ['max-age=99999999', 3600],
    [undefined, 300],
  ])('bounds the lifetime: Cache-Control %s is kept %i s', async (header, seconds) => {
    const t = await setup(header)
    const token = await t.token()
    await t.verifier.verify(token)
    expect(t.events[0]).toMatchObject({ type: 'fetched', maxAgeSeconds: seconds })
  })

  it('costs at most a refetch per cool-down for a flood of 1,000 random kids', async () => {
    const t = await setup()
    await t.verifier.verify(await t.token())
    const flood = await Promise.all(
      Array.from({ length: 1000 }, () => t.token(randomBytes(8).toString('hex'))),
    )
    const results = await Promise.allSettled(flood.map((token) => t.verifier.verify(token)))
    expect(results.every((r) => r.status === 'rejected')).toBe(true)
    expect(t.server.requests).toBeLessThanOrEqual(2)
    console.log(`kid flood: 1000 random kids -> ${t.server.requests} JWKS fetches in all`)
  })

  it('picks up a rotated key on the first unknown kid after the cool-down', async () => {
    const t = await setup()
    await t.verifier.verify(await t.token())
    const next = await makeKey('k2')
    t.server.keys.push(next)
    t.advance(31)
    const rotated = await accessToken(next, { expiresIn: 86_400 })
    expect(await t.verifier.verify(rotated)).toMatchObject({ userId: 'user-1' })
    expect(t.server.requests).toBe(2)
  })

  it('keeps verifying with the cached keys while the JWKS source is down (stale-if-error)', async () => {
    const t = await setup('max-age=60')
    const token = await t.token()
    await t.verifier.verify(token)
    t.server.mode = 'down'
    t.advance(3600)
    expect(await t.verifier.verify(token)).toMatchObject({ userId: 'user-1' })
    await t.verifier.jwks?.refreshing // the refetch runs behind the request (stale-while-revalidate)
    expect(t.events.some((e) => e.type === 'fetch_failed' && e.servingStale)).toBe(true)
    // and forged tokens are still refused
    const stranger = await makeKey('k1')
    await expect(t.verifier.verify(await accessToken(stranger))).rejects.toMatchObject({
      code: 'signature_invalid',
    })
  })

  it('never makes a request wait on a hanging JWKS endpoint while the kid’s key is cached', async () => {
    const t = await setup('max-age=60')
    const token = await t.token()
    await t.verifier.verify(token)
    t.server.mode = 'hang'
    t.advance(61)
    // Past max-age, the endpoint hanging: every request is answered from the cached key while
    // one refetch (not one per request) waits on the endpoint in the background.
    const answers = await Promise.all(Array.from({ length: 20 }, () => t.verifier.verify(token)))
    expect(answers.every((answer) => answer.kind === 'user' && answer.userId === 'user-1')).toBe(
      true,
    )
    expect(t.events.filter((e) => e.type === 'fetch_failed')).toEqual([])
    expect(t.verifier.jwks?.refreshing).toBeDefined()
    expect(t.verifier.jwks?.fetchCount).toBe(2)

    // The refetch fails; retryAfterErrorMs (5 s) passes before the next one, which again runs
    // behind the requests instead of in front of them.
    t.server.hangUp()
    await t.verifier.jwks?.refreshing
    expect(t.events).toContainEqual(
      expect.objectContaining({ type: 'fetch_failed', servingStale: true }),
    )
    await t.verifier.verify(token)
    expect(t.verifier.jwks?.fetchCount).toBe(2)
    t.server.mode = 'hang'
    t.advance(6)
    expect(await t.verifier.verify(token)).toMatchObject({ userId: 'user-1' })
    expect(t.verifier.jwks?.refreshing).toBeDefined()
    expect(t.verifier.jwks?.fetchCount).toBe(3)
  })

  it('picks up the refetched JWKS once the background refetch lands', async () => {
    const t = await setup('max-age=60')
    const token = await t.token()
    await t.verifier.verify(token)
    t.server.keys = [await makeKey('k2')]
    t.advance(61)
    // Served by the stale key while the refetch runs; refused once the JWKS says k1 is gone.
    expect(await t.verifier.verify(token)).toMatchObject({ userId: 'user-1' })
    await t.verifier.jwks?.refreshing
    await expect(t.verifier.verify(token)).rejects.toMatchObject({ code: 'kid_unknown' })
  })

  it('reports jwks_unavailable when it never had keys and the source is down', async () => {
    const t = await setup()
    t.server.mode = 'down'
    await expect(t.verifier.verify(await t.token())).rejects.toMatchObject({
      code: 'jwks_unavailable',
    })
  })

  it.each([
    [
      'a symmetric key',
      JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'k1', alg: 'HS256' }] }),
    ],
    ['a key with a private member', 'PRIVATE'],
    ['malformed JSON', '{"keys": ['],
    ['no keys array', '{"nope": true}'],
    ['a huge document', JSON.stringify({ keys: [], pad: 'x'.repeat(300_000) })],
  ])('never uses %s from the JWKS', async (_name, body) => {
    const t = await setup()
    const privateDoc = JSON.stringify({ keys: [{ ...t.key.jwk, d: 'secret-exponent' }] })
    t.server.mode = { body: body === 'PRIVATE' ? privateDoc : body }
    await expect(t.verifier.verify(await t.token())).rejects.toMatchObject({
      code: expect.stringMatching(/jwks_unavailable|kid_unknown/),
    })
  })
})

describe('verified-token cache', () => {
  it('verifies a token once and answers repeats from memory until it expires', async () => {
    const key = await makeKey('k1')
    let resolutions = 0
    const verifier = createVerifier({
      keyResolver: async () => {
        resolutions++
        const { createPublicKey } = await import('node:crypto')
        return createPublicKey({ key: key.jwk, format: 'jwk' } as never)
      },
      issuer: ISSUER,
      audience: AUDIENCE,
    })
    const token = await accessToken(key)
    for (let i = 0; i < 10; i++) await verifier.verify(token)
    expect(resolutions).toBe(1)
    // a different token (one byte of the signature changed) is not served from the cache
    // (chosen from that byte itself, so that it always differs: it was flaky one run in 64)
    const tampered = `${token.slice(0, -2)}${token.at(-2) === 'A' ? 'B' : 'A'}${token.slice(-1)}`
    expect(tampered).not.toBe(token)
    await expect(verifier.verify(tampered)).rejects.toBeDefined()
  })
})

describe('a remembered token lives only as long as the key that verified it', () => {
  const remembering = (cacheControl?: string) => setup(cacheControl, { cacheMaxEntries: 10_000 })

  it('stops accepting a remembered token once its key is withdrawn from the JWKS', async () => {
    const t = await remembering()
    const token = await t.token()
    await t.verifier.verify(token)
    // k1 is withdrawn (say it leaked): the JWKS now publishes k2 alone.
    const next = await makeKey('k2')
    t.server.keys = [next]
    t.advance(31) // past the unknown-kid cool-down
    // The first k2 token makes the verifier refetch; that JWKS no longer holds k1.
    await t.verifier.verify(await accessToken(next, { expiresIn: 86_400 }))
    await expect(t.verifier.verify(token)).rejects.toMatchObject({ code: 'kid_unknown' })
  })

  it('notices the withdrawal from remembered tokens alone: a hit past max-age refetches', async () => {
    const t = await remembering('max-age=60')
    const token = await t.token()
    await t.verifier.verify(token)
    t.server.keys = [await makeKey('k2')]
    t.advance(61)
    // Nothing but the remembered token is presented, yet the stale JWKS is refetched behind it.
    await t.verifier.verify(token)
    await t.verifier.jwks?.refreshing
    await expect(t.verifier.verify(token)).rejects.toMatchObject({ code: 'kid_unknown' })
  })

  it('refuses a remembered token once its kid is republished with another key', async () => {
    const t = await remembering('max-age=60')
    const token = await t.token()
    await t.verifier.verify(token)
    t.server.keys = [await makeKey('k1')] // same kid, new key material
    t.advance(61)
    await t.verifier.verify(token)
    await t.verifier.jwks?.refreshing
    await expect(t.verifier.verify(token)).rejects.toMatchObject({ code: 'signature_invalid' })
  })

  it('forgets the tokens of a withdrawn key as soon as a refetch lands, presented or not', async () => {
    const t = await remembering('max-age=60')
    for (const sub of ['user-1', 'user-2', 'user-3']) {
      await t.verifier.verify(await accessToken(t.key, { expiresIn: 86_400, claims: { sub } }))
    }
    expect(t.verifier.cachedTokens).toBe(3)
    const next = await makeKey('k2')
    t.server.keys = [t.key, next]
    t.advance(61)
    const other = await accessToken(t.key, { expiresIn: 86_400, claims: { sub: 'user-4' } })
    await t.verifier.verify(other) // starts the refetch; k1 is still published
    await t.verifier.jwks?.refreshing
    expect(t.verifier.cachedTokens).toBe(4) // an unchanged key keeps its tokens across a refetch
    t.server.keys = [next]
    t.advance(61)
    await t.verifier.verify(await accessToken(next, { expiresIn: 86_400 }))
    await t.verifier.jwks?.refreshing
    expect(t.verifier.cachedTokens).toBe(1) // the k2 token alone
  })

  it('with a keyResolver, stops accepting a remembered token within a second of its key going', async () => {
    const key = await makeKey('k1')
    const { createPublicKey } = await import('node:crypto')
    const publicKey = createPublicKey({ key: key.jwk, format: 'jwk' } as never)
    let published = true
    let clock = Date.now()
    const verifier = createVerifier({
      keyResolver: async (kid) => {
        if (!published) throw new JwtVerifyError('kid_unknown', `${kid} is not published`)
        return publicKey
      },
      issuer: ISSUER,
      audience: AUDIENCE,
      now: () => clock,
    })
    const token = await accessToken(key)
    await verifier.verify(token)
    published = false
    clock += 1000
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'kid_unknown' })
    expect(verifier.cachedTokens).toBe(0)
  })
})
