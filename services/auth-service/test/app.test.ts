import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './helper.js'

interface Operation {
  operationId: string
  security?: unknown
  responses: Record<string, { description: string; content?: Record<string, unknown> }>
}

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t?.close())

describe('auth-service, app-wide behaviour', () => {
  it('answers an unknown route with 404 problem+json carrying the request id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/auth/nope?x=1' })
    expect(res.statusCode).toBe(404)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    const body = res.json()
    expect(body).toMatchObject({
      type: 'urn:authpair:problem:not_found',
      title: 'Not Found',
      status: 404,
      code: 'not_found',
      detail: 'No route for GET /auth/nope.',
    })
    expect(body.request_id).toBe(res.headers['x-request-id'])
  })

  it('honours a well-formed incoming X-Request-Id and replaces a malformed one', async () => {
    const kept = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'client-req-42' },
    })
    expect(kept.headers['x-request-id']).toBe('client-req-42')
    const replaced = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'evil\nlog line injection' },
    })
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('is alive at /health and ready at /ready with the database and keys checked', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' })
    const ready = await t.app.inject({ method: 'GET', url: '/ready' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toEqual({
      status: 'ready',
      checks: { database: { ok: true }, signing_keys: { ok: true } },
    })
  })

  it('reports 503 not_ready when the database is gone', async () => {
    const other = await buildTestApp()
    try {
      await other.app.db.close()
      const res = await other.app.inject({ method: 'GET', url: '/ready' })
      expect(res.statusCode).toBe(503)
      expect(res.json().checks.database.ok).toBe(false)
      expect(res.json().checks.signing_keys.ok).toBe(true)
    } finally {
      await other.close()
    }
  })

  it('exposes Prometheus metrics with request durations by route pattern', async () => {
    await t.app.inject({ method: 'GET', url: '/auth/.well-known/jwks.json' })
    await t.app.inject({ method: 'GET', url: '/random/path/one' })
    const res = await t.app.inject({ method: 'GET', url: '/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/plain/)
    expect(res.body).toContain(
      'auth_http_request_duration_seconds_count{method="GET",route="/auth/.well-known/jwks.json",status_code="200"}',
    )
    expect(res.body).toContain('route="unmatched"')
    expect(res.body).not.toContain('/random/path/one')
    // prom-client's defaults under their standard names (dashboards query them as they are)
    expect(res.body).toMatch(/^process_resident_memory_bytes \d+/m)
    expect(res.body).not.toContain('auth_process_')
  })

  it('renders Swagger UI at /auth/docs and the OpenAPI 3.1 document beside it', async () => {
    const ui = await t.app.inject({ method: 'GET', url: '/auth/docs/' })
    expect(ui.statusCode).toBe(200)
    expect(ui.headers['content-type']).toMatch(/text\/html/)
    expect(ui.body).toContain('swagger-ui')
    const doc = await t.app.inject({ method: 'GET', url: '/auth/docs/json' })
    expect(doc.statusCode).toBe(200)
    const openapi = doc.json()
    expect(openapi.openapi).toBe('3.1.0')
    expect(Object.keys(openapi.paths)).toContain('/auth/.well-known/jwks.json')
    // service-only routes and duplicates stay out of the public document
    expect(Object.keys(openapi.paths)).not.toContain('/health')
    expect(Object.keys(openapi.paths)).not.toContain('/metrics')
  })

  it('documents each operation as a client needs it: id, security, problem+json errors', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/auth/docs/json' })).json()
    expect(doc.servers).toEqual([{ url: t.config.ISSUER, description: 'The gateway (ISSUER)' }])
    const ids: string[] = []
    for (const [path, operations] of Object.entries<Record<string, Operation>>(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`
        ids.push(op.operationId)
        expect(Array.isArray(op.security), where).toBe(true)
        for (const [status, response] of Object.entries(op.responses)) {
          expect(response.description, `${where} ${status}`).not.toBe('Default Response')
          if (Number(status) < 400) continue
          // The token endpoint speaks RFC 6749 §5.2 JSON; every other error is problem+json.
          const expected = path === '/auth/token' || path === '/auth/introspect'
          expect(Object.keys(response.content ?? {}), `${where} ${status}`).toEqual([
            expected ? 'application/json' : 'application/problem+json',
          ])
        }
      }
    }
    expect(new Set(ids).size).toBe(ids.length)
    expect(doc.paths['/auth/login'].post.operationId).toBe('postAuthLogin')
    expect(doc.paths['/auth/login'].post.security).toEqual([])
    // Only this service's schemas: the users-service's admin list is not here.
    expect(Object.keys(doc.components.schemas)).toContain('TokenPair')
    expect(Object.keys(doc.components.schemas)).not.toContain('AdminUserList')
  })

  it('answers an error with the media type its OpenAPI document declares', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/auth/docs/json' })).json()
    const declared = Object.keys(doc.paths['/auth/login'].post.responses['400'].content)
    const res = await t.app.inject({ method: 'POST', url: '/auth/login', payload: {} })
    expect(res.statusCode).toBe(400)
    expect(declared).toEqual([String(res.headers['content-type']).split(';')[0]])
  })

  it('does not serve the docs when DOCS_ENABLED=false', async () => {
    const other = await buildTestApp({ DOCS_ENABLED: 'false' })
    try {
      const res = await other.app.inject({ method: 'GET', url: '/auth/docs/json' })
      expect(res.statusCode).toBe(404)
      expect(res.json().code).toBe('not_found')
    } finally {
      await other.close()
    }
  })
})
