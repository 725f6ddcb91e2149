/**
 * The relying party's configuration is checked at start-up (loadAuthConfig), not in a browser;
 * the example page exists only outside production.
 */
import { describe, expect, it } from 'vitest'
import { loadAuthConfig } from '../src/config.js'
import { relyingPartyOf } from '../src/passkeys/relying-party.js'
import { buildTestApp } from './helper.js'

const base = { NODE_ENV: 'test', ISSUER: 'https://auth.example.com' }

describe('the WebAuthn relying party', () => {
  it("defaults to ISSUER's host and origin, and PRODUCT_NAME", () => {
    expect(relyingPartyOf(loadAuthConfig(base))).toEqual({
      id: 'auth.example.com',
      name: 'authpair',
      origins: ['https://auth.example.com'],
    })
  })

  it('takes an RP ID that is a registrable suffix of every origin', () => {
    const config = loadAuthConfig({
      ...base,
      WEBAUTHN_RP_ID: 'example.com',
      WEBAUTHN_RP_NAME: 'Example',
      WEBAUTHN_ORIGINS: 'https://app.example.com,https://example.com',
    })
    expect(relyingPartyOf(config)).toEqual({
      id: 'example.com',
      name: 'Example',
      origins: ['https://app.example.com', 'https://example.com'],
    })
  })

  it('refuses to start with an RP ID that does not fit an origin', () => {
    expect(() => loadAuthConfig({ ...base, WEBAUTHN_RP_ID: 'other.example' })).toThrow(
      /WEBAUTHN_RP_ID/,
    )
    // A suffix must end at a dot: ample.com is not a suffix of example.com's hosts.
    expect(() =>
      loadAuthConfig({
        ...base,
        WEBAUTHN_RP_ID: 'ample.com',
        WEBAUTHN_ORIGINS: 'https://example.com',
      }),
    ).toThrow(/WEBAUTHN_RP_ID/)
  })

  it('refuses an origin with a path or that is not a URL', () => {
    for (const origin of [
      'https://auth.example.com/',
      'auth.example.com',
      'ftp://auth.example.com',
    ]) {
      expect(() => loadAuthConfig({ ...base, WEBAUTHN_ORIGINS: origin })).toThrow(
        /WEBAUTHN_ORIGINS/,
      )
    }
  })
})

describe('the example page', () => {
  it('is not served in production', async () => {
    const prod = await buildTestApp({ NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:9' })
    try {
      const res = await prod.app.inject({ method: 'GET', url: '/auth/passkeys/example/' })
      expect(res.statusCode).toBe(404)
      const dev = await prod.app.inject({
        method: 'POST',
        url: '/auth/passkeys/login/options',
        payload: {},
      })
      expect(dev.statusCode).toBe(200) // the API itself is there
    } finally {
      await prod.close()
    }
  })
})
