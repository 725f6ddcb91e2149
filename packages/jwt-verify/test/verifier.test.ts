import { createHmac, createPublicKey } from 'node:crypto'
import { OAuth2Server } from 'oauth2-mock-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  assertScopes,
  createVerifier,
  hasScopes,
  InsufficientScopeError,
  type JwtVerifyErrorCode,
  type VerifiedToken,
  type Verifier,
} from '../src/index.js'
import {
  AUDIENCE,
  accessToken,
  clientToken,
  forge,
  ISSUER,
  type KeyServer,
  makeKey,
  type SigningKey,
  signRaw,
  startKeyServer,
} from './support/key-server.js'

let key: SigningKey
let server: KeyServer
let verifier: Verifier

beforeAll(async () => {
  key = await makeKey('k1')
  server = await startKeyServer([key])
  verifier = createVerifier({
    jwksUrl: server.url,
    issuer: ISSUER,
    audience: AUDIENCE,
    cacheMaxEntries: 0,
  })
})
afterAll(async () => server?.close())

async function rejection(token: string, v: Verifier = verifier): Promise<JwtVerifyErrorCode> {
  try {
    await v.verify(token)
  } catch (error) {
    return (error as { code: JwtVerifyErrorCode }).code
  }
  throw new Error('the token was accepted')
}

describe('genuine tokens', () => {
  it('accepts a token signed by a published key and says who it is for', async () => {
    const result = await verifier.verify(await accessToken(key))
    expect(result).toMatchObject({ userId: 'user-1', sessionId: 'session-1', role: 'user' })
  })

  it('tolerates a small clock skew on exp (5 s by default) and no more', async () => {
    expect(await verifier.verify(await accessToken(key, { expiresIn: -3 }))).toMatchObject({
      userId: 'user-1',
    })
    expect(await rejection(await accessToken(key, { expiresIn: -30 }))).toBe('token_expired')
  })
})

describe('a user’s token and a client’s token', () => {
  it('tells a user’s token by its sid: user id, session, role, and no scopes', async () => {
    const result = await verifier.verify(await accessToken(key))
    expect(result).toEqual({
      kind: 'user',
      userId: 'user-1',
      sessionId: 'session-1',
      role: 'user',
      scopes: [],
      amr: [],
      claims: expect.objectContaining({ sub: 'user-1', sid: 'session-1' }),
    })
  })

  it('reads how a user signed in from amr (RFC 8176), and refuses an amr that is not a list of strings', async () => {
    const token = await accessToken(key, { claims: { amr: ['pwd', 'otp', 'mfa'] } })
    expect(await verifier.verify(token)).toMatchObject({ amr: ['pwd', 'otp', 'mfa'] })
    expect(await rejection(await accessToken(key, { claims: { amr: 'mfa' } }))).toBe(
      'claim_invalid',
    )
    expect(await rejection(await accessToken(key, { claims: { amr: [1] } }))).toBe('claim_invalid')
  })

  it('keeps a user’s token a user’s when it names the client it was issued to (RFC 9068 client_id)', async () => {
    const token = await accessToken(key, { claims: { client_id: 'authpair-web' } })
    expect(await verifier.verify(token)).toMatchObject({ kind: 'user', userId: 'user-1' })
  })

  it('tells a client’s token by sub = client_id without sid: the client and its scopes, no user', async () => {
    const result = await verifier.verify(
      await clientToken(key, { scope: 'users:read orders:write' }),
    )
    expect(result).toEqual({
      kind: 'client',
      clientId: 'client-1',
      scopes: ['users:read', 'orders:write'],
      claims: expect.objectContaining({ sub: 'client-1', client_id: 'client-1' }),
    })
    expect(result).not.toHaveProperty('userId')
    expect(result).not.toHaveProperty('sessionId')
  })

  it('reads a client token without scope as one with no scopes', async () => {
    expect(await verifier.verify(await clientToken(key))).toMatchObject({
      kind: 'client',
      scopes: [],
    })
  })

  it.each([
    ['no sid, and sub is not its client_id', { client_id: 'client-2' }],
    ['no sid and no client_id', { client_id: undefined }],
    ['no sid, and a role (a client token that claims a role)', { role: 'admin' }],
    ['a scope that is not a string', { scope: ['users:read'] }],
  ])('refuses a token with %s', async (_name, claims) => {
    expect(await rejection(await clientToken(key, { claims }))).toBe('claim_invalid')
  })

  it.each([
    ['a sid but no role', { role: undefined }],
    ['a sid that is not a string', { sid: 42 }],
    ['an empty sid', { sid: '' }],
    ['a client_id that is not a string', { client_id: 7 }],
  ])('refuses a user token with %s', async (_name, claims) => {
    expect(await rejection(await accessToken(key, { claims }))).toBe('claim_invalid')
  })

  it('does not let a caller widen a remembered token’s scopes or turn it into a user', async () => {
    // Verified tokens are remembered and handed out again: one request's mutation must not
    // become the next request's privilege.
    const caching = createVerifier({ jwksUrl: server.url, issuer: ISSUER, audience: AUDIENCE })
    const token = await clientToken(key, { scope: 'users:read' })
    const first = await caching.verify(token)
    expect(() => (first.scopes as string[]).push('admin:all')).toThrow(TypeError)
    expect(() => Object.assign(first, { kind: 'user', userId: 'user-1' })).toThrow(TypeError)
    const again = await caching.verify(token)
    expect(again).toBe(first)
    expect(again).toMatchObject({ kind: 'client', scopes: ['users:read'] })
  })
})

describe('the scope check', () => {
  let client: VerifiedToken
  let user: VerifiedToken
  beforeAll(async () => {
    client = await verifier.verify(await clientToken(key, { scope: 'users:read orders:write' }))
    user = await verifier.verify(await accessToken(key))
  })

  it('answers whether a token carries every scope asked for', () => {
    expect(hasScopes(client, 'users:read')).toBe(true)
    expect(hasScopes(client, 'users:read', 'orders:write')).toBe(true)
    expect(hasScopes(client, 'users:read', 'users:write')).toBe(false)
    expect(hasScopes(client, 'users')).toBe(false) // no prefix matching
    expect(hasScopes(user, 'users:read')).toBe(false)
    expect(hasScopes(null, 'users:read')).toBe(false)
  })

  it('throws InsufficientScopeError with the RFC 6750 challenge naming every scope needed', () => {
    expect(() => assertScopes(client, 'users:read')).not.toThrow()
    let caught: unknown
    try {
      assertScopes(client, 'users:read', 'users:write')
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(InsufficientScopeError)
    const error = caught as InsufficientScopeError
    expect(error.code).toBe('insufficient_scope')
    expect(error.scopes).toEqual(['users:read', 'users:write'])
    expect(error.challenge).toBe(
      'Bearer error="insufficient_scope", scope="users:read users:write"',
    )
  })

  it.each([[[]], [['users read']], [['users"read']], [['users\\read']], [['']]])(
    'refuses to check for %o: a TypeError, not a header an attacker could shape',
    (scopes) => {
      expect(() => assertScopes(client, ...scopes)).toThrow(TypeError)
    },
  )

  it('throws a TypeError when asked about no scope at all', () => {
    expect(() => hasScopes(client)).toThrow(TypeError)
  })
})

describe('the attacks', () => {
  it('refuses alg none', async () => {
    const token = forge(
      { alg: 'none', kid: 'k1', typ: 'at+jwt' },
      { iss: ISSUER, aud: AUDIENCE, sub: 'x' },
    )
    expect(await rejection(token)).toBe('alg_not_allowed')
  })

  it('refuses a token signed with the public key as an HMAC secret (HS256)', async () => {
    const pem = createPublicKey({ key: key.jwk, format: 'jwk' } as never).export({
      type: 'spki',
      format: 'pem',
    })
    const unsigned = forge(
      { alg: 'HS256', kid: 'k1', typ: 'at+jwt' },
      {
        iss: ISSUER,
        aud: AUDIENCE,
        sub: 'admin',
        role: 'admin',
        sid: 's',
        jti: 'j',
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 600,
      },
    )
    const signingInput = unsigned.slice(0, -1)
    const mac = createHmac('sha256', pem).update(signingInput).digest('base64url')
    expect(await rejection(`${signingInput}.${mac}`)).toBe('alg_not_allowed')
  })

  it.each(['ES256', 'EdDSA'] as const)(
    'verifies %s tokens when allowed, and refuses them with the signature changed',
    async (alg) => {
      const other = await makeKey(`k-${alg}`, alg)
      const server = await startKeyServer([other])
      try {
        const v = createVerifier({
          jwksUrl: server.url,
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: [alg],
          cacheMaxEntries: 0,
        })
        const token = await accessToken(other)
        expect(await v.verify(token)).toMatchObject({ kind: 'user', userId: 'user-1' })
        const [h, p, sig = ''] = token.split('.')
        const bytes = Buffer.from(sig, 'base64url')
        bytes[5] = (bytes[5] ?? 0) ^ 1
        expect(await rejection(`${h}.${p}.${bytes.toString('base64url')}`, v)).toBe(
          'signature_invalid',
        )
        // a signature one byte short (ES256 wants R and S, 32 bytes each)
        const short = bytes.subarray(0, bytes.length - 1).toString('base64url')
        expect(await rejection(`${h}.${p}.${short}`, v)).toBe('signature_invalid')
      } finally {
        await server.close()
      }
    },
  )

  it('refuses an algorithm outside the pinned list even when the key fits it', async () => {
    const es = await makeKey('es', 'ES256')
    const esServer = await startKeyServer([es])
    try {
      const v = createVerifier({ jwksUrl: esServer.url, issuer: ISSUER, audience: AUDIENCE })
      expect(await rejection(await accessToken(es), v)).toBe('alg_not_allowed')
    } finally {
      await esServer.close()
    }
  })

  it.each([
    ['an unknown kid', { header: { kid: 'never-published' } }, 'kid_unknown'],
    [
      'a token not valid yet',
      { claims: { nbf: Math.floor(Date.now() / 1000) + 120 } },
      'token_not_yet_valid',
    ],
    ['another issuer', { claims: { iss: 'https://evil.test' } }, 'claim_invalid'],
    ['another audience', { claims: { aud: 'other-api' } }, 'claim_invalid'],
    ['an ID token (typ JWT)', { header: { typ: 'JWT' } }, 'claim_invalid'],
    ['a token without sid', { claims: { sid: undefined } }, 'claim_invalid'],
    ['a jku header', { header: { jku: 'https://evil.test/jwks' } }, 'header_forbidden'],
    ['an x5u header', { header: { x5u: 'https://evil.test/cert' } }, 'header_forbidden'],
    ['an embedded jwk header', { header: { jwk: { kty: 'RSA' } } }, 'header_forbidden'],
    ['an x5c header', { header: { x5c: ['MIIB'] } }, 'header_forbidden'],
  ] as const)('refuses %s', async (_name, options, code) => {
    expect(await rejection(await accessToken(key, options as never))).toBe(code)
  })

  const validClaims = () => ({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    sid: 's',
    role: 'user',
    jti: 'j',
    iat: Math.floor(Date.now() / 1000),
    exp: Math.floor(Date.now() / 1000) + 600,
  })

  it('refuses an unknown critical header, correctly signed', async () => {
    const header = {
      alg: 'RS256',
      kid: 'k1',
      typ: 'at+jwt',
      crit: ['exp-extension'],
      'exp-extension': 1,
    }
    expect(await rejection(signRaw(key, header, validClaims()))).toBe('token_malformed')
    // the same token without crit is fine: the refusal is about crit alone
    expect(
      await verifier.verify(
        signRaw(key, { alg: 'RS256', kid: 'k1', typ: 'at+jwt' }, validClaims()),
      ),
    ).toMatchObject({ userId: 'user-1' })
  })

  it('refuses a tampered payload (role edited)', async () => {
    const [h, p, s] = (await accessToken(key)).split('.')
    const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString())
    const edited = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')
    expect(await rejection(`${h}.${edited}.${s}`)).toBe('signature_invalid')
  })

  it('refuses a token without kid, and a payload that is not a JSON object', async () => {
    expect(await rejection(await accessToken(key, { header: { kid: undefined } }))).toBe(
      'kid_missing',
    )
    const array = signRaw(key, { alg: 'RS256', kid: 'k1', typ: 'at+jwt' }, [1, 2, 3])
    expect(await rejection(array)).toBe('token_malformed')
  })

  it('refuses an oversized token before parsing it or fetching keys', async () => {
    const fresh = await startKeyServer([key])
    try {
      const v = createVerifier({ jwksUrl: fresh.url, issuer: ISSUER, audience: AUDIENCE })
      expect(await rejection(`${'a'.repeat(9000)}.b.c`, v)).toBe('token_too_large')
      expect(await rejection('not-a-jwt', v)).toBe('token_malformed')
      expect(fresh.requests).toBe(0)
    } finally {
      await fresh.close()
    }
  })

  it('refuses garbage of every shape without throwing anything but its own errors', async () => {
    for (const junk of [
      '',
      '.',
      '..',
      'a.b.c',
      '%%%.%%%.%%%',
      'eyJ9.eyJ9.',
      forge({ alg: 'RS256' }, {}),
    ]) {
      await expect(verifier.verify(junk)).rejects.toHaveProperty('name', 'JwtVerifyError')
    }
  })

  it('takes only three base64url segments, every character checked', async () => {
    const good = await accessToken(key)
    const [h = '', p = '', sig = ''] = good.split('.')
    // Node's base64url decoder would read `+` and `/` as `-` and `_` and skip `=` and blanks:
    // such spellings of the same bytes are refused, in any segment.
    const flip = (segment: string) => segment.replace(/[-_]/, (c) => (c === '-' ? '+' : '/'))
    const respelled = [
      ...(/[-_]/.test(sig) ? [`${h}.${p}.${flip(sig)}`] : []),
      ...(/[-_]/.test(p) ? [`${h}.${flip(p)}.${sig}`] : []),
    ]
    expect(respelled.length).toBeGreaterThan(0)
    for (const bad of [
      `${good}.x`,
      `${good}.`,
      `.${good}`,
      `${h}.${p}`,
      `${h}.${p}.${sig}=`,
      `${h}.${p}.${sig.slice(0, 10)} ${sig.slice(10)}`,
      ...respelled,
      `${h}=.${p}.${sig}`,
    ]) {
      expect(await rejection(bad)).toBe('token_malformed')
    }
    expect(await verifier.verify(good)).toMatchObject({ userId: expect.any(String) })
  })

  it('checks the signature before typ: a forged ID token is signature_invalid', async () => {
    const idToken = await accessToken(key, { header: { typ: 'JWT' } })
    expect(await rejection(idToken)).toBe('claim_invalid')
    // The header is now kept (it passed its own checks); the order stays the same.
    const [h, p, sig = ''] = idToken.split('.')
    const bytes = Buffer.from(sig, 'base64url')
    bytes[0] = (bytes[0] ?? 0) ^ 1
    expect(await rejection(`${h}.${p}.${bytes.toString('base64url')}`)).toBe('signature_invalid')
  })
})

describe('issue time and lifetime', () => {
  // A fixed instant for the verifier's clock, so each boundary is exact.
  const T = 1_800_000_000
  const at = (iat: number, exp: number) => ({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    sid: 's',
    role: 'user',
    jti: 'j',
    iat,
    exp,
  })
  const header = () => ({ alg: 'RS256', kid: 'k1', typ: 'at+jwt' })
  const clocked = (options: { maxLifetimeSeconds?: number } = {}) =>
    createVerifier({
      jwksUrl: server.url,
      issuer: ISSUER,
      audience: AUDIENCE,
      cacheMaxEntries: 0,
      now: () => T * 1000,
      ...options,
    })

  it('refuses a token that claims to be issued in the future (iat past the 5 s skew)', async () => {
    // Signed by a real key with a clock set ahead: exp and nbf alone would let it through.
    const v = clocked()
    expect(await rejection(signRaw(key, header(), at(T + 6, T + 606)), v)).toBe('claim_invalid')
    expect(await rejection(signRaw(key, header(), at(T + 3600, T + 4500)), v)).toBe('claim_invalid')
  })

  it('tolerates an iat up to the clock skew ahead (5 s by default)', async () => {
    const v = clocked()
    expect(await v.verify(signRaw(key, header(), at(T + 5, T + 605)))).toMatchObject({
      userId: 'user-1',
    })
  })

  it('refuses a token minted to live longer than a day (the default cap), though unexpired', async () => {
    const v = clocked()
    expect(await v.verify(signRaw(key, header(), at(T, T + 86_400)))).toMatchObject({
      userId: 'user-1',
    })
    expect(await rejection(signRaw(key, header(), at(T, T + 86_401)), v)).toBe('claim_invalid')
    expect(await rejection(signRaw(key, header(), at(T, T + 10 * 365 * 86_400)), v)).toBe(
      'claim_invalid',
    )
  })

  it('refuses a backdated token: issued a year ago, expiring in ten minutes', async () => {
    const v = clocked()
    expect(await rejection(signRaw(key, header(), at(T - 365 * 86_400, T + 600)), v)).toBe(
      'claim_invalid',
    )
  })

  it('holds tokens to the configured maxLifetimeSeconds: 900 takes 900 s and refuses 901 s', async () => {
    const v = clocked({ maxLifetimeSeconds: 900 })
    expect(await v.verify(signRaw(key, header(), at(T, T + 900)))).toMatchObject({
      userId: 'user-1',
    })
    expect(await rejection(signRaw(key, header(), at(T, T + 901)), v)).toBe('claim_invalid')
  })
})

describe('tokens from an issuer written by others (oauth2-mock-server)', () => {
  let oidc: OAuth2Server
  beforeAll(async () => {
    oidc = new OAuth2Server()
    await oidc.issuer.keys.generate('RS256')
    await oidc.start(0, '127.0.0.1')
  })
  afterAll(async () => oidc?.stop())

  it('verifies its RFC 9068-shaped access tokens against its JWKS', async () => {
    const issuer = oidc.issuer.url ?? ''
    const v = createVerifier({ jwksUrl: `${issuer}/jwks`, issuer, audience: AUDIENCE })
    const token = await oidc.issuer.buildToken({
      scopesOrTransform: (header, payload) => {
        header.typ = 'at+jwt'
        Object.assign(payload, {
          aud: AUDIENCE,
          sub: 'ext-1',
          sid: 'ext-session',
          role: 'user',
          jti: 'x',
        })
      },
    })
    expect(await v.verify(token)).toMatchObject({ userId: 'ext-1', sessionId: 'ext-session' })
  })

  it('refuses its ID tokens (typ JWT) as access tokens', async () => {
    const issuer = oidc.issuer.url ?? ''
    const v = createVerifier({ jwksUrl: `${issuer}/jwks`, issuer, audience: AUDIENCE })
    const idToken = await oidc.issuer.buildToken({
      scopesOrTransform: (_header, payload) => {
        Object.assign(payload, { aud: AUDIENCE, sub: 'ext-1', sid: 's', role: 'user', jti: 'x' })
      },
    })
    expect(await rejection(idToken, v)).toBe('claim_invalid')
  })

  it('refuses a genuine token of that issuer when we expect ours (different issuer, valid signature)', async () => {
    const issuer = oidc.issuer.url ?? ''
    const v = createVerifier({ jwksUrl: `${issuer}/jwks`, issuer: ISSUER, audience: AUDIENCE })
    const token = await oidc.issuer.buildToken({
      scopesOrTransform: (header, payload) => {
        header.typ = 'at+jwt'
        Object.assign(payload, { aud: AUDIENCE, sub: 'ext-1', sid: 's', role: 'admin', jti: 'x' })
      },
    })
    expect(await rejection(token, v)).toBe('claim_invalid')
  })
})

describe('options are checked at creation', () => {
  it.each([
    [{ jwksUrl: 'not a url', issuer: ISSUER, audience: AUDIENCE }, /jwksUrl/],
    [{ jwksUrl: 'file:///etc/passwd', issuer: ISSUER, audience: AUDIENCE }, /http/],
    [{ jwksUrl: 'https://x/jwks', issuer: '', audience: AUDIENCE }, /issuer/],
    [
      { jwksUrl: 'https://x/jwks', issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] },
      /algorithms/,
    ],
    [
      { jwksUrl: 'https://x/jwks', issuer: ISSUER, audience: AUDIENCE, algorithms: [] },
      /algorithms/,
    ],
    [{ issuer: ISSUER, audience: AUDIENCE }, /exactly one of jwksUrl and keyResolver/],
  ])('throws a TypeError for %o', (options, message) => {
    expect(() => createVerifier(options as never)).toThrow(message)
  })

  it.each([0, -900, Number.NaN, Number.POSITIVE_INFINITY, '900'])(
    'throws a TypeError for maxLifetimeSeconds %o',
    (maxLifetimeSeconds) => {
      const options = { jwksUrl: 'https://x/jwks', issuer: ISSUER, audience: AUDIENCE }
      expect(() => createVerifier({ ...options, maxLifetimeSeconds } as never)).toThrow(TypeError)
      expect(() => createVerifier({ ...options, maxLifetimeSeconds } as never)).toThrow(
        /maxLifetimeSeconds/,
      )
    },
  )
})
