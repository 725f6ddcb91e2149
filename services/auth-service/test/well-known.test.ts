import { createLocalJWKSet, exportJWK, importJWK, jwtVerify, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './helper.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t?.close())

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']

describe('GET /auth/.well-known/jwks.json', () => {
  it('serves the signing key generated on first start, with public members only', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/auth/.well-known/jwks.json' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    const { keys } = res.json() as { keys: Record<string, unknown>[] }
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' })
    expect(typeof keys[0]?.kid).toBe('string')
    for (const member of PRIVATE_MEMBERS) expect(keys[0]).not.toHaveProperty(member)
  })

  it('is cacheable for the configured max-age and answers 304 to a matching If-None-Match', async () => {
    const first = await t.app.inject({ method: 'GET', url: '/auth/.well-known/jwks.json' })
    expect(first.headers['cache-control']).toBe('public, max-age=300')
    const etag = first.headers.etag as string
    expect(etag).toMatch(/^".+"$/)
    const second = await t.app.inject({
      method: 'GET',
      url: '/auth/.well-known/jwks.json',
      headers: { 'if-none-match': etag },
    })
    expect(second.statusCode).toBe(304)
    expect(second.body).toBe('')
  })

  it('serves the same document at /.well-known/jwks.json', async () => {
    const a = await t.app.inject({ method: 'GET', url: '/auth/.well-known/jwks.json' })
    const b = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
    expect(b.statusCode).toBe(200)
    expect(b.body).toBe(a.body)
  })

  it('publishes a key that verifies a signature made with the stored private key (checked with jose)', async () => {
    const active = t.app.keys.activeKey()
    const token = await new SignJWT({ sub: 'user-1' })
      .setProtectedHeader({ alg: active.alg, kid: active.kid, typ: 'at+jwt' })
      .setIssuer(t.config.ISSUER)
      .setAudience(t.config.JWT_AUDIENCE)
      .setExpirationTime('5m')
      .sign(active.privateKey)
    const jwks = (await t.app.inject({ method: 'GET', url: '/auth/.well-known/jwks.json' })).json()
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: t.config.ISSUER,
      audience: t.config.JWT_AUDIENCE,
      algorithms: ['RS256'],
    })
    expect(payload.sub).toBe('user-1')
    expect(protectedHeader.kid).toBe(active.kid)
  })

  it('does not verify a token signed by a key it never published', async () => {
    const { generateKeyPair } = await import('jose')
    const stranger = await generateKeyPair('RS256')
    const kid = t.app.keys.activeKey().kid
    const forged = await new SignJWT({ sub: 'user-1' })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setExpirationTime('5m')
      .sign(stranger.privateKey)
    const jwks = (await t.app.inject({ method: 'GET', url: '/auth/.well-known/jwks.json' })).json()
    await expect(jwtVerify(forged, createLocalJWKSet(jwks))).rejects.toThrow(/signature/)
    // and the published key is a usable public key, not the stranger's
    const published = await importJWK(jwks.keys[0], 'RS256')
    const strangerJwk = await exportJWK(stranger.publicKey)
    expect((await exportJWK(published)).n).not.toBe(strangerJwk.n)
  })
})

describe('GET /.well-known/openid-configuration', () => {
  it('names the issuer, the JWKS and the algorithm, at both paths', async () => {
    for (const url of [
      '/auth/.well-known/openid-configuration',
      '/.well-known/openid-configuration',
    ]) {
      const res = await t.app.inject({ method: 'GET', url })
      expect(res.statusCode).toBe(200)
      expect(res.json()).toMatchObject({
        issuer: 'http://localhost:8080',
        jwks_uri: 'http://localhost:8080/auth/.well-known/jwks.json',
        access_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
      })
    }
  })
})
