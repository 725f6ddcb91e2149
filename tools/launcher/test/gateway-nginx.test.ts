/**
 * The production shape, through the real nginx: the gateway template rendered as the image
 * renders it, two replicas of each service on PostgreSQL and Redis. Needs nginx (Debian's
 * package), PostgreSQL and Redis; skipped loudly without them unless REQUIRE_NGINX=1 (CI).
 */
import { request as httpRequest } from 'node:http'
import { createTestDatabase, probePostgres, type TestDatabase } from '@authpair/db/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nginxAvailable, type ProdShape, startProdShape } from '../src/prod-shape.js'

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
let shape: ProdShape | undefined
let database: TestDatabase | undefined
let skipReason: string | undefined

beforeAll(async () => {
  const nginx = nginxAvailable()
  const pg = await probePostgres()
  skipReason = !nginx.ok
    ? nginx.reason
    : !pg.ok
      ? `PostgreSQL unreachable: ${pg.reason}`
      : undefined
  if (skipReason) {
    if (process.env.REQUIRE_NGINX === '1')
      throw new Error(`the nginx end-to-end suite is required: ${skipReason}`)
    console.warn(`\n!!! SKIPPED: the real-nginx end-to-end suite: ${skipReason}\n`)
    return
  }
  database = await createTestDatabase('postgres')
  shape = await startProdShape({
    databaseUrl: database.url,
    redisUrl: REDIS_URL,
    replicas: 2,
    adminAllowIps: ['127.0.0.1'],
    rates: { login: '100r/s', register: '100r/s', refresh: '100r/s', forgot: '100r/s' },
    env: {
      RATE_LIMIT_LOGIN_PER_IP: '6',
      // Redis outlives the run: this run's counters must not meet an earlier run's.
      RATE_LIMIT_REDIS_PREFIX: `authpair-e2e-${process.pid}-${Date.now()}:`,
      RATE_LIMIT_REGISTER_PER_IP: '1000',
      RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000',
      RATE_LIMIT_LOGIN_PER_ACCOUNT_IP: '1000',
      // The admin routes here are about the gateway, not the second-factor policy.
      MFA_REQUIRED_ROLES: 'none',
    },
  })
}, 120_000)

afterAll(async () => {
  await shape?.stop()
  await database?.drop()
})

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  json: () => Record<string, unknown>
}

function call(
  method: string,
  path: string,
  options: {
    body?: unknown
    raw?: Buffer
    headers?: Record<string, string>
    from?: string
    /** Another base URL than the gateway's (a service port, reached directly). */
    to?: string
  } = {},
): Promise<Reply> {
  // The raw path, unparsed: '//admin/users' must reach nginx as written.
  const url = new URL(options.to ?? shape?.gatewayUrl ?? 'http://127.0.0.1')
  const payload =
    options.raw ??
    (options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body)))
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path,
        method,
        localAddress: options.from ?? '127.0.0.1',
        headers: {
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': String(payload.length) }
            : {}),
          ...options.headers,
        },
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c) => {
          body += c
        })
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: () => JSON.parse(body),
          }),
        )
      },
    )
    req.on('error', reject)
    req.end(payload)
  })
}

const live = () => {
  if (!shape) throw new Error(`skipped: ${skipReason}`)
  return shape
}

describe('through the real nginx', () => {
  let admin = ''
  let user = { access: '', refresh: '' }

  it('routes every public route to its service', async (ctx) => {
    if (skipReason) return ctx.skip()
    live()
    for (const path of [
      '/.well-known/jwks.json',
      '/auth/.well-known/jwks.json',
      '/.well-known/openid-configuration',
      '/auth/oauth/providers',
    ]) {
      expect((await call('GET', path)).status, path).toBe(200)
    }
    expect(
      (
        await call('POST', '/auth/register', {
          body: { email: 'nginx-user@example.com', password: 'amber-falcon-river-2' },
        })
      ).status,
    ).toBe(201)
    expect(
      (
        await call('POST', '/auth/register', {
          body: { email: 'nginx-admin@example.com', password: 'amber-falcon-river-2' },
        })
      ).status,
    ).toBe(201)
    const login = await call('POST', '/auth/login', {
      body: { email: 'nginx-user@example.com', password: 'amber-falcon-river-2' },
    })
    expect(login.status).toBe(200)
    user = {
      access: String(login.json().access_token),
      refresh: String(login.json().refresh_token),
    }
    const me = await call('GET', '/users/me', {
      headers: { authorization: `Bearer ${user.access}` },
    })
    expect(me.status).toBe(200)
    // GET /users/:id reaches the users-service (its own 403 problem: the route is for client
    // tokens), not a 404 of nginx's.
    const lookup = await call('GET', `/users/${me.json().id}`, {
      headers: { authorization: `Bearer ${user.access}` },
    })
    expect({ status: lookup.status, code: lookup.json().code }).toEqual({
      status: 403,
      code: 'forbidden',
    })
    expect(
      (await call('GET', '/auth/sessions', { headers: { authorization: `Bearer ${user.access}` } }))
        .status,
    ).toBe(200)
    expect((await call('GET', '/auth/docs/json')).status).toBe(200) // docs: allowlisted address
  })

  it('does not route /health, /ready, /metrics or /revocations: 404 problem+json', async (ctx) => {
    if (skipReason) return ctx.skip()
    for (const path of [
      '/health',
      '/ready',
      '/metrics',
      '/revocations',
      '/nothing',
      '/AUTH/login',
    ]) {
      const res = await call('GET', path)
      expect(res.status, path).toBe(404)
      expect(res.headers['content-type']).toBe('application/problem+json')
      expect(res.json().code).toBe('not_found')
    }
  })

  it('serves /admin/ only to the allowlist, whatever X-Forwarded-For claims', async (ctx) => {
    if (skipReason) return ctx.skip()
    const db = await import('@authpair/db')
    const handle = db.openDatabase(db.parseDatabaseUrl(database?.url))
    const row = await handle.users.findByEmail('nginx-admin@example.com')
    await handle.users.update(row?.id ?? '', { role: 'admin', updatedAt: new Date() })
    await handle.close()
    const login = await call('POST', '/auth/login', {
      body: { email: 'nginx-admin@example.com', password: 'amber-falcon-river-2' },
    })
    admin = String(login.json().access_token)
    const auth = { authorization: `Bearer ${admin}` }
    expect((await call('GET', '/admin/users', { headers: auth })).status).toBe(200)
    expect((await call('GET', '/admin/auth/keys', { headers: auth })).status).toBe(200)
    for (const path of [
      '/admin/users',
      '/admin/auth/keys',
      '/%61dmin/users',
      '/x/../admin/users',
      '//admin/users',
    ]) {
      const outside = await call('GET', path, {
        from: '127.0.0.2',
        headers: { ...auth, 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1' },
      })
      expect(outside.status, path).toBe(403)
      expect(outside.json().code).toBe('forbidden')
    }
    expect((await call('GET', '/auth/docs/json', { from: '127.0.0.2' })).status).toBe(403)
  })

  it('serves the admin console to the allowlist only, with a strict CSP on its files alone', async (ctx) => {
    if (skipReason) return ctx.skip()
    const page = await call('GET', '/admin/')
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toMatch(/^text\/html/)
    expect(page.body).toContain('/admin/console/app.js')
    const csp = String(page.headers['content-security-policy'])
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe')
    expect(page.headers['cache-control']).toBe('no-cache')
    // The server's own headers still come with it (a location-level add_header would drop them).
    expect(page.headers['x-frame-options']).toBe('DENY')
    expect(page.headers['x-request-id']).toBeTruthy()
    const script = await call('GET', '/admin/console/app.js')
    expect(script.status).toBe(200)
    expect(script.headers['content-type']).toMatch(/javascript/)
    expect(script.headers['content-security-policy']).toBe(csp)
    expect((await call('GET', '/admin/console/app.css')).headers['content-type']).toMatch(/css/)
    const bare = await call('GET', '/admin')
    expect(bare.status).toBe(301)
    expect(bare.headers.location).toBe('/admin/')
    // Nothing else is a file: no listing, no way out of the console's folder, and the API's
    // answers carry no console policy.
    for (const path of [
      '/admin/console/',
      '/admin/console/../index.html',
      '/admin/console/nope.js',
    ]) {
      const res = await call('GET', path)
      expect(res.status, path).not.toBe(200)
    }
    const api = await call('GET', '/admin/users')
    expect(api.status).toBe(401)
    expect(api.headers['content-security-policy']).toBeUndefined()
    // (/admin itself only redirects to /admin/, for anyone: nginx answers `return` before it
    // checks the allowlist, and the redirect tells nothing.)
    for (const path of ['/admin/', '/admin/console/app.js', '/admin/console/app.css']) {
      const outside = await call('GET', path, {
        from: '127.0.0.2',
        headers: { 'x-forwarded-for': '127.0.0.1' },
      })
      expect(outside.status, path).toBe(403)
      expect(outside.json().code).toBe('forbidden')
    }
  })

  it('holds the login limit across two replicas, and spoofed X-Forwarded-For does not reset it', async (ctx) => {
    if (skipReason) return ctx.skip()
    const statuses: number[] = []
    for (let i = 0; i < 8; i++) {
      const res = await call('POST', '/auth/login', {
        from: '127.0.0.3',
        body: { email: `nobody${i}@example.com`, password: 'wrong-password-x' },
        headers: { 'x-forwarded-for': `198.51.100.${i}` },
      })
      statuses.push(res.status)
    }
    // RATE_LIMIT_LOGIN_PER_IP=6, counted in Redis by both replicas (nginx alternates them)
    expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401])
    expect(statuses.slice(6)).toEqual([429, 429])
    const authReplicas = live().services.filter((s) => s.name.startsWith('auth'))
    for (const replica of authReplicas) {
      expect(replica.logs.some((l) => l.includes('"url":"/auth/login"'))).toBe(true)
    }
  })

  it('believes X-Forwarded-For from nginx only: a direct call to a service port cannot pick its address', async (ctx) => {
    if (skipReason) return ctx.skip()
    // A process on the gateway's host, reaching an auth replica's port itself from loopback,
    // with a new X-Forwarded-For on every attempt (what the review did to get unlimited logins).
    const replica = live().services.find((s) => s.name === 'auth-1')
    const statuses: number[] = []
    for (let i = 0; i < 8; i++) {
      const res = await call('POST', '/auth/login', {
        to: `http://127.0.0.1:${replica?.port}`,
        from: '127.0.0.6', // an address of its own: other tests' counters stay apart
        body: { email: `direct${i}@example.com`, password: 'wrong-password-x' },
        headers: { 'x-forwarded-for': `203.0.113.${i}` },
      })
      statuses.push(res.status)
    }
    // One address to the limiter: RATE_LIMIT_LOGIN_PER_IP=6.
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429, 429])
    // Through nginx, the address nginx saw is still believed (a fresh one here).
    const through = await call('POST', '/auth/login', {
      from: '127.0.0.7',
      body: { email: 'through@example.com', password: 'wrong-password-x' },
    })
    expect(through.status).toBe(401)
  })

  it('counts every spelling of /auth/login against the one limit, or refuses it', async (ctx) => {
    if (skipReason) return ctx.skip()
    const spellings = [
      '/auth/login',
      '//auth/login',
      '/auth/login/',
      '/auth/login?x=1',
      '/auth/./login',
      '/x/../auth/login',
      '/auth/%6cogin',
      '/AUTH/login',
      '/auth//login',
    ]
    const seen: string[] = []
    let counted = 0
    for (let round = 0; round < 3; round++) {
      for (const path of spellings) {
        await new Promise((r) => setTimeout(r, 12)) // under nginx's own 100r/s outer limit
        const res = await call('POST', path, {
          from: '127.0.0.5',
          body: { email: 'nobody-spelled@example.com', password: 'wrong-password-x' },
        })
        seen.push(`${path} ${res.status}`)
        expect(res.headers['content-type'], path).toMatch(/^application\/problem\+json/)
        // 401: reached the login route and was counted; 429: the limit; 404: no route there.
        expect([401, 404, 429], path).toContain(res.status)
        if (counted >= 6 && res.status !== 404) expect(res.status, path).toBe(429)
        if (res.status === 401) counted++
      }
    }
    console.log(`[smuggling] login spellings through nginx: ${seen.join(', ')}`)
    // RATE_LIMIT_LOGIN_PER_IP=6: never more than six attempts got through, whatever the spelling,
    // and the spellings that reach the route were tried more often than that.
    expect(counted).toBe(6)
    expect(seen.filter((line) => line.endsWith(' 429')).length).toBeGreaterThan(0)
  })

  it('validates or refuses a body whatever its Content-Type claims', async (ctx) => {
    if (skipReason) return ctx.skip()
    const variants = [
      'application/json',
      'application/json; charset=utf-8',
      'application/JSON',
      ' application/json',
      'application/json\tx',
      'application/json, text/plain',
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'application/vnd.api+json',
    ]
    const seen: string[] = []
    for (const contentType of variants) {
      await new Promise((r) => setTimeout(r, 12)) // under nginx's own 100r/s outer limit
      const res = await call('POST', '/auth/register', {
        from: '127.0.0.6',
        raw: Buffer.from(JSON.stringify({ email: 12, password: ['x'] })),
        headers: { 'content-type': contentType },
      })
      seen.push(`${JSON.stringify(contentType)} ${res.status}`)
      // Refused as a type (415) or validated and refused as a body (400): never accepted.
      expect([400, 415], contentType).toContain(res.status)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    }
    console.log(`[smuggling] content types through nginx: ${seen.join(', ')}`)
  })

  it('refreshes a session made on one replica on the other', async (ctx) => {
    if (skipReason) return ctx.skip()
    let refresh = user.refresh
    for (let i = 0; i < 4; i++) {
      const res = await call('POST', '/auth/token/refresh', { body: { refresh_token: refresh } })
      expect(res.status).toBe(200)
      refresh = String(res.json().refresh_token)
    }
    for (const replica of live().services.filter((s) => s.name.startsWith('auth'))) {
      expect(
        replica.logs.some((l) => l.includes('"url":"/auth/token/refresh"')),
        replica.name,
      ).toBe(true)
    }
  })

  it('serves the OAuth token endpoint: a client an admin registered gets a token, a refresh rotates', async (ctx) => {
    if (skipReason) return ctx.skip()
    expect(admin).not.toBe('') // set by the allowlist test above
    const created = await call('POST', '/admin/clients', {
      headers: { authorization: `Bearer ${admin}` },
      body: { name: 'through nginx', scopes: ['users:read'] },
    })
    expect(created.status).toBe(201)
    const { client_id, client_secret } = created.json() as Record<string, string>
    const form = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
      call('POST', '/auth/token', {
        raw: Buffer.from(new URLSearchParams(fields).toString()),
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      })
    const basic = `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}`
    const granted = await form({ grant_type: 'client_credentials' }, { authorization: basic })
    expect(granted.status).toBe(200)
    expect(granted.headers['cache-control']).toBe('no-store')
    const claims = JSON.parse(
      Buffer.from(String(granted.json().access_token).split('.')[1] ?? '', 'base64url').toString(),
    )
    expect(claims).toMatchObject({ sub: client_id, client_id, scope: 'users:read' })
    const refused = await form(
      { grant_type: 'client_credentials' },
      { authorization: 'Basic eDp5' },
    )
    expect(refused.status).toBe(401)
    expect(refused.json().error).toBe('invalid_client')
    // The /admin/clients API is for the allowlist only, whatever the token.
    const outside = await call('GET', '/admin/clients', {
      from: '127.0.0.9',
      headers: { authorization: `Bearer ${admin}` },
    })
    expect(outside.status).toBe(403)

    const login = await call('POST', '/auth/login', {
      body: { email: 'nginx-user@example.com', password: 'amber-falcon-river-2' },
    })
    const rotated = await form({
      grant_type: 'refresh_token',
      refresh_token: String(login.json().refresh_token),
    })
    expect(rotated.status).toBe(200)
    expect(rotated.json().refresh_token).not.toBe(login.json().refresh_token)
  })

  it('refuses a 1 MB body with its own 413 problem+json', async (ctx) => {
    if (skipReason) return ctx.skip()
    const res = await call('POST', '/auth/register', { raw: Buffer.alloc(1_048_576, 'a') })
    expect(res.status).toBe(413)
    expect(res.headers['content-type']).toBe('application/problem+json')
    expect(res.json()).toMatchObject({ status: 413, code: 'payload_too_large' })
  })

  it('adds the security headers and passes the client’s request id to the service logs', async (ctx) => {
    if (skipReason) return ctx.skip()
    const id = `trace-${Date.now()}`
    const res = await call('GET', '/users/me', {
      headers: { 'x-request-id': id, authorization: `Bearer ${user.access}` },
    })
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['x-frame-options']).toBe('DENY')
    expect(res.headers['referrer-policy']).toBe('no-referrer')
    expect(res.headers['x-request-id']).toBe(id)
    expect(
      live().services.some((s) => s.logs.some((l) => l.includes(`"request_id":"${id}"`))),
    ).toBe(true)
    const invented = await call('GET', '/.well-known/jwks.json')
    expect(String(invented.headers['x-request-id'])).toMatch(/^[0-9a-f]{32}$/)
  })

  it('records the address nginx saw, not the one the client claimed', async (ctx) => {
    if (skipReason) return ctx.skip()
    const login = await call('POST', '/auth/login', {
      from: '127.0.0.4',
      body: { email: 'nginx-user@example.com', password: 'amber-falcon-river-2' },
      headers: { 'x-forwarded-for': '203.0.113.99' },
    })
    const sessions = await call('GET', '/auth/sessions', {
      headers: { authorization: `Bearer ${login.json().access_token}` },
    })
    const current = (sessions.json().items as { current: boolean; ip: string }[]).find(
      (s) => s.current,
    )
    expect(current?.ip).toBe('127.0.0.4')
  })
})
