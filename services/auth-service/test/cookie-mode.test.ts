/**
 * Cookie mode for browser apps (DESIGN.md, Clients), over a real listener: the refresh token
 * in an HttpOnly, SameSite=Strict cookie limited to the token endpoints; refresh and logout
 * read it only from an allowed origin with X-Requested-With: fetch; CORS for CORS_ORIGINS.
 * What a real browser does with these headers is e2e/test/browser-cookie-mode.test.ts.
 */
import { freePort } from '@authpair/service-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, randomKek, type TestApp } from './helper.js'

const APP_ORIGIN = 'https://app.example.com'
const PASSWORD = 'cookie-mode-password-7'
let t: TestApp
let base: string

beforeAll(async () => {
  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  t = await buildTestApp({
    CORS_ORIGINS: `${APP_ORIGIN}, http://localhost:5173`,
    // A rotated token presented again is theft at once (no retry window), so spent is spent.
    REFRESH_REUSE_LEEWAY_SECONDS: '0',
  })
  await t.app.listen({ host: '127.0.0.1', port })
})
afterAll(async () => t?.close())

let userCount = 0
async function newUser(): Promise<string> {
  const email = `cookie-${++userCount}@example.com`
  await t.app.accountRules.createUser({ email, password: PASSWORD, emailVerified: true })
  return email
}

/** A browser-like call: the cookie jar is the caller's `cookie` string. */
function call(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; form?: string } = {},
) {
  const headers: Record<string, string> = { ...options.headers }
  let body: string | undefined
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(options.body)
  } else if (options.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = options.form
  }
  return fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) })
}

const json = async (response: Response) => (await response.json()) as Record<string, unknown>

interface Cookie {
  name: string
  value: string
  attributes: Map<string, string>
}

function cookiesOf(response: Response): Cookie[] {
  return response.headers.getSetCookie().map((line) => {
    const [pair = '', ...rest] = line.split(';').map((part) => part.trim())
    const eq = pair.indexOf('=')
    const attributes = new Map<string, string>()
    for (const attribute of rest) {
      const [key = '', value = ''] = attribute.split('=')
      attributes.set(key.toLowerCase(), value)
    }
    return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes }
  })
}

async function signInWithCookie(email: string) {
  const response = await call('POST', '/auth/login?token_delivery=cookie', {
    body: { email, password: PASSWORD },
  })
  expect(response.status).toBe(200)
  const cookies = cookiesOf(response)
  return {
    response,
    body: await json(response),
    cookies,
    jar: `authpair_refresh=${cookies[0]?.value}`,
  }
}

const fromApp = { origin: APP_ORIGIN, 'x-requested-with': 'fetch' }

describe('cookie mode', () => {
  it('puts the refresh token in an HttpOnly, SameSite=Strict cookie at the token paths only', async () => {
    const { response, body, cookies } = await signInWithCookie(await newUser())
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(body.access_token).toEqual(expect.any(String))
    expect(body.refresh_expires_in).toBeGreaterThan(0)
    expect(body).not.toHaveProperty('refresh_token')
    expect(cookies.map((c) => c.attributes.get('path')).sort()).toEqual([
      '/auth/logout',
      '/auth/token',
    ])
    for (const cookie of cookies) {
      expect(cookie.name).toBe('authpair_refresh')
      expect(cookie.value.length).toBeGreaterThan(20)
      expect(cookie.value).toBe(cookies[0]?.value)
      expect(cookie.attributes.has('httponly')).toBe(true)
      expect(cookie.attributes.get('samesite')).toBe('Strict')
      expect(cookie.attributes.get('max-age')).toBe(String(body.refresh_expires_in))
      // Not production: plain HTTP in development must work.
      expect(cookie.attributes.has('secure')).toBe(false)
    }
  })

  it('answers in the body as before without token_delivery, and refuses an unknown mode', async () => {
    const email = await newUser()
    const plain = await call('POST', '/auth/login', { body: { email, password: PASSWORD } })
    expect(plain.status).toBe(200)
    expect(plain.headers.getSetCookie()).toEqual([])
    expect((await json(plain)).refresh_token).toEqual(expect.any(String))
    const bogus = await call('POST', '/auth/login?token_delivery=header', {
      body: { email, password: PASSWORD },
    })
    expect(bogus.status).toBe(400)
    expect((await json(bogus)).code).toBe('validation_failed')
  })

  it('refreshes from the cookie (no body) for an allowed origin with the CSRF header, rotating it', async () => {
    const { jar, cookies } = await signInWithCookie(await newUser())
    const refreshed = await call('POST', '/auth/token/refresh?token_delivery=cookie', {
      headers: { ...fromApp, cookie: jar },
    })
    expect(refreshed.status).toBe(200)
    const body = await json(refreshed)
    expect(body.access_token).toEqual(expect.any(String))
    expect(body).not.toHaveProperty('refresh_token')
    const rotated = cookiesOf(refreshed)
    expect(rotated).toHaveLength(2)
    expect(rotated[0]?.value).not.toBe(cookies[0]?.value)
    // The old cookie is spent, like any rotated refresh token.
    const again = await call('POST', '/auth/token/refresh?token_delivery=cookie', {
      headers: { ...fromApp, cookie: jar },
    })
    expect(again.status).toBe(401)
    expect((await json(again)).code).toBe('invalid_refresh_token')
  })

  it('refuses a cookie refresh from another origin, without an origin, or without the header', async () => {
    const { jar } = await signInWithCookie(await newUser())
    const cases: Array<Record<string, string>> = [
      { origin: 'https://evil.example', 'x-requested-with': 'fetch' },
      { 'x-requested-with': 'fetch' },
      { origin: APP_ORIGIN },
      { origin: APP_ORIGIN, 'x-requested-with': 'XMLHttpRequest' },
    ]
    for (const headers of cases) {
      const refused = await call('POST', '/auth/token/refresh?token_delivery=cookie', {
        headers: { ...headers, cookie: jar },
      })
      expect(refused.status, JSON.stringify(headers)).toBe(403)
      expect((await json(refused)).code).toBe('origin_not_allowed')
    }
    // None of them spent the token.
    const ok = await call('POST', '/auth/token/refresh?token_delivery=cookie', {
      headers: { ...fromApp, cookie: jar },
    })
    expect(ok.status).toBe(200)
  })

  it("accepts a cookie refresh from the issuer's own origin (the gateway's: the admin console)", async () => {
    const { jar } = await signInWithCookie(await newUser())
    const issuerOrigin = new URL(t.config.ISSUER).origin
    expect(issuerOrigin).not.toBe(APP_ORIGIN)
    const ok = await call('POST', '/auth/token/refresh?token_delivery=cookie', {
      headers: { origin: issuerOrigin, 'x-requested-with': 'fetch', cookie: jar },
    })
    expect(ok.status).toBe(200)
    // Only the origin: the same host on another port or scheme is another origin.
    const other = new URL(issuerOrigin)
    other.port = String(Number(other.port || 80) + 1)
    const refused = await call('POST', '/auth/token/refresh?token_delivery=cookie', {
      headers: { origin: other.origin, 'x-requested-with': 'fetch', cookie: jar },
    })
    expect(refused.status).toBe(403)
    expect((await json(refused)).code).toBe('origin_not_allowed')
  })

  it('answers 401 when the cookie is missing, and ignores a refresh token in the body', async () => {
    const email = await newUser()
    const pair = await json(
      await call('POST', '/auth/login', { body: { email, password: PASSWORD } }),
    )
    const noCookie = await call('POST', '/auth/token/refresh?token_delivery=cookie', {
      headers: fromApp,
      body: { refresh_token: pair.refresh_token },
    })
    expect(noCookie.status).toBe(401)
    expect((await json(noCookie)).code).toBe('invalid_refresh_token')
  })

  it('logs out by cookie: ends the session and clears the cookie at both paths', async () => {
    const { jar } = await signInWithCookie(await newUser())
    const refused = await call('POST', '/auth/logout?token_delivery=cookie', {
      headers: { origin: 'https://evil.example', 'x-requested-with': 'fetch', cookie: jar },
    })
    expect(refused.status).toBe(403)
    const out = await call('POST', '/auth/logout?token_delivery=cookie', {
      headers: { ...fromApp, cookie: jar },
    })
    expect(out.status).toBe(204)
    const cleared = cookiesOf(out)
    expect(cleared.map((c) => c.attributes.get('path')).sort()).toEqual([
      '/auth/logout',
      '/auth/token',
    ])
    for (const cookie of cleared) {
      expect(cookie.value).toBe('')
      expect(cookie.attributes.get('max-age')).toBe('0')
    }
    const after = await call('POST', '/auth/token/refresh?token_delivery=cookie', {
      headers: { ...fromApp, cookie: jar },
    })
    expect(after.status).toBe(401)
  })

  it('serves the token endpoint’s refresh grant from the cookie too', async () => {
    const { jar } = await signInWithCookie(await newUser())
    const response = await call('POST', '/auth/token?token_delivery=cookie', {
      headers: { ...fromApp, cookie: jar },
      form: 'grant_type=refresh_token',
    })
    expect(response.status).toBe(200)
    const body = await json(response)
    expect(body.token_type).toBe('Bearer')
    expect(body).not.toHaveProperty('refresh_token')
    expect(cookiesOf(response)).toHaveLength(2)
    const wrongOrigin = await call('POST', '/auth/token?token_delivery=cookie', {
      headers: { origin: 'https://evil.example', 'x-requested-with': 'fetch', cookie: jar },
      form: 'grant_type=refresh_token',
    })
    expect(wrongOrigin.status).toBe(400)
    expect((await json(wrongOrigin)).error).toBe('invalid_request')
  })
})

describe('CORS', () => {
  it('answers a preflight from an allowed origin, with credentials and the CSRF header', async () => {
    const response = await call('OPTIONS', '/auth/token/refresh', {
      headers: {
        origin: APP_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, x-requested-with',
      },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN)
    expect(response.headers.get('access-control-allow-credentials')).toBe('true')
    expect(response.headers.get('access-control-allow-headers')).toContain('x-requested-with')
    expect(response.headers.get('vary')).toContain('Origin')
  })

  it('gives another origin no Access-Control headers, on preflights and on requests', async () => {
    const preflight = await call('OPTIONS', '/auth/token/refresh', {
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    })
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull()
    const jwks = await call('GET', '/.well-known/jwks.json', {
      headers: { origin: 'https://evil.example' },
    })
    expect(jwks.status).toBe(200)
    expect(jwks.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('allows no origin at all by default', async () => {
    const plain = await buildTestApp()
    try {
      const preflight = await plain.app.inject({
        method: 'OPTIONS',
        url: '/auth/login',
        headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST' },
      })
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined()
      // A cookie refresh has no allowed origin to come from.
      const refused = await plain.app.inject({
        method: 'POST',
        url: '/auth/token/refresh?token_delivery=cookie',
        headers: { ...fromApp, cookie: 'authpair_refresh=abc' },
      })
      expect(refused.statusCode).toBe(403)
    } finally {
      await plain.close()
    }
  })

  it('refuses a CORS_ORIGINS entry that is not an origin', async () => {
    await expect(buildTestApp({ CORS_ORIGINS: 'https://app.example.com/' })).rejects.toThrow(
      /CORS_ORIGINS/,
    )
  })
})

describe('cookie mode in production', () => {
  it('names the cookie __Secure- and marks it Secure', async () => {
    const prod = await buildTestApp({
      NODE_ENV: 'production',
      KEY_ENCRYPTION_KEY: randomKek(),
      SMTP_URL: 'smtp://127.0.0.1:1',
      ISSUER: 'https://auth.example.com',
    })
    try {
      const email = 'prod-cookie@example.com'
      await prod.app.accountRules.createUser({ email, password: PASSWORD, emailVerified: true })
      const response = await prod.app.inject({
        method: 'POST',
        url: '/auth/login?token_delivery=cookie',
        payload: { email, password: PASSWORD },
      })
      expect(response.statusCode).toBe(200)
      const lines = [response.headers['set-cookie']].flat()
      expect(lines).toHaveLength(2)
      for (const line of lines) {
        expect(line).toMatch(/^__Secure-authpair_refresh=[^;]+;/)
        expect(line).toMatch(/; Secure/)
        expect(line).toMatch(/; HttpOnly/)
        expect(line).toMatch(/; SameSite=Strict/)
      }
    } finally {
      await prod.close()
    }
  })
})
