import { request as httpRequest } from 'node:http'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildGateway } from '../src/gateway.js'

/** An upstream that answers with what it received, so tests see what the gateway forwarded. */
async function echoUpstream(name: string): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify()
  app.all('/*', async (request) => ({ upstream: name, url: request.url, headers: request.headers }))
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, url }
}

let auth: Awaited<ReturnType<typeof echoUpstream>>
let users: Awaited<ReturnType<typeof echoUpstream>>
let gateway: FastifyInstance
let base: string

beforeAll(async () => {
  auth = await echoUpstream('auth')
  users = await echoUpstream('users')
  gateway = await buildGateway({
    authUpstream: auth.url,
    usersUpstream: users.url,
    adminAllowIps: ['127.0.0.2'],
  })
  base = await gateway.listen({ host: '127.0.0.1', port: 0 })
})
afterAll(async () => {
  await gateway?.close()
  await auth?.app.close()
  await users?.app.close()
})

type Reply = {
  status: number
  headers: Record<string, unknown>
  // biome-ignore lint/suspicious/noExplicitAny: tests read the echoed JSON loosely
  json: () => any
  body: string
}

/** A real HTTP request from a chosen loopback source address. */
function call(
  path: string,
  options: {
    localAddress?: string
    headers?: Record<string, string>
    method?: string
    body?: Buffer
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base)
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: options.method ?? 'GET',
        headers: options.headers,
        localAddress: options.localAddress ?? '127.0.0.1',
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => {
          body += chunk
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
    req.end(options.body)
  })
}

describe('development gateway', () => {
  it.each([
    ['/auth/login', 'auth'],
    ['/auth/.well-known/jwks.json', 'auth'],
    ['/.well-known/jwks.json', 'auth'],
    ['/.well-known/openid-configuration', 'auth'],
    ['/users/me', 'users'],
    ['/users/0190a6f0-0000-7000-8000-000000000001', 'users'],
  ])('routes %s to the %s service, path unchanged', async (path, upstream) => {
    const res = await call(path)
    expect(res.status).toBe(200)
    expect(res.json()).toMatchObject({ upstream, url: path })
  })

  it.each([
    ['/admin/auth/keys', 'auth'],
    ['/admin/users?limit=5', 'users'],
  ])('routes %s to %s from an allowlisted address', async (path, upstream) => {
    const res = await call(path, { localAddress: '127.0.0.2' })
    expect(res.status).toBe(200)
    expect(res.json()).toMatchObject({ upstream, url: path })
  })

  it('refuses /admin/ from an address off the allowlist, whatever X-Forwarded-For claims', async () => {
    const res = await call('/admin/users', { headers: { 'x-forwarded-for': '127.0.0.2' } })
    expect(res.status).toBe(403)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json().code).toBe('forbidden')
  })

  it('tells the services the address it saw, dropping what the client claimed', async () => {
    const res = await call('/users/me', {
      headers: {
        'x-forwarded-for': '203.0.113.7',
        'x-real-ip': '203.0.113.8',
        forwarded: 'for=203.0.113.9',
      },
    })
    const { headers } = res.json()
    expect(headers['x-forwarded-for']).toBe('127.0.0.1')
    expect(headers['x-real-ip']).toBeUndefined()
    expect(headers.forwarded).toBeUndefined()
  })

  it('passes a client X-Request-Id through and makes one when absent', async () => {
    const kept = await call('/users/me', { headers: { 'x-request-id': 'trace-abc' } })
    expect(kept.json().headers['x-request-id']).toBe('trace-abc')
    expect(kept.headers['x-request-id']).toBe('trace-abc')
    const made = await call('/users/me')
    expect(made.json().headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('adds the security headers', async () => {
    const res = await call('/users/me')
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    })
  })

  it('answers routes it does not know with 404 problem+json (service-only routes included)', async () => {
    for (const path of ['/health', '/metrics', '/ready', '/revocations', '/nothing']) {
      const res = await call(path)
      expect(res.status).toBe(404)
      expect(res.json().code).toBe('not_found')
    }
  })

  it('refuses a body over 1 MiB with 413 problem+json', async () => {
    const res = await call('/auth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(1_100_000, 'a'),
    })
    expect(res.status).toBe(413)
    expect(res.json().code).toBe('payload_too_large')
  })

  it('answers 502 problem+json when a service is down', async () => {
    const down = await buildGateway({
      authUpstream: 'http://127.0.0.1:1',
      usersUpstream: users.url,
      adminAllowIps: [],
    })
    try {
      const res = await down.inject({ method: 'GET', url: '/auth/login' })
      expect(res.statusCode).toBe(502)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.json().code).toBe('bad_gateway')
    } finally {
      await down.close()
    }
  })
})
