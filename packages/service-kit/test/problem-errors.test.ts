import { DatabaseUnavailableError } from '@authpair/db'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createServer, HttpProblem, problemErrors, requestIdHeader } from '../src/index.js'
import { testConfig } from './fixtures.js'

const app = createServer({ name: 'test', config: testConfig })

beforeAll(async () => {
  await app.register(problemErrors)
  await app.register(requestIdHeader)
  app.post(
    '/things',
    {
      schema: {
        body: z.strictObject({
          name: z.string().min(2),
          nested: z.object({ n: z.number() }).optional(),
        }),
        querystring: z.object({ limit: z.coerce.number().int().max(10).optional() }),
      },
    },
    async () => ({ ok: true }),
  )
  app.get('/things/:id', async () => ({ ok: true }))
  app.get('/boom', async () => {
    throw new Error('secret internals: password=hunter2')
  })
  app.get('/gone', async () => {
    throw new HttpProblem(409, 'email_taken', 'That email is taken.')
  })
  app.get('/db-down', async () => {
    throw new DatabaseUnavailableError('connect ECONNREFUSED 127.0.0.1:5432')
  })
  app.get('/looks-like-db-down', async () => {
    // Not the data layer's error, only its code in a string property.
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'database_unavailable',
    })
  })
  await app.ready()
})
afterAll(() => app.close())

const post = (payload: string, headers: Record<string, string> = {}, url = '/things') =>
  app.inject({
    method: 'POST',
    url,
    payload,
    headers: { 'content-type': 'application/json', ...headers },
  })

describe('problem+json for every error', () => {
  it('lists each invalid field with its path', async () => {
    const res = await post(JSON.stringify({ name: 'x', nested: { n: 'one' }, extra: 1 }))
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    const body = res.json()
    expect(body.code).toBe('validation_failed')
    const paths = body.errors.map((e: { path: string }) => e.path)
    expect(paths).toEqual(expect.arrayContaining(['body.name', 'body.nested.n', 'body']))
  })

  it('names the query string as "query"', async () => {
    const res = await post(JSON.stringify({ name: 'ok' }), {}, '/things?limit=99')
    expect(res.statusCode).toBe(400)
    expect(res.json().errors[0].path).toBe('query.limit')
  })

  it.each([
    ['malformed JSON', '{"name": ', {}, 400, 'invalid_json'],
    ['an empty JSON body', '', {}, 400, 'invalid_json'],
    [
      'a body over the limit',
      JSON.stringify({ name: 'x'.repeat(2000) }),
      {},
      413,
      'payload_too_large',
    ],
    ['text/plain', 'name=x', { 'content-type': 'text/plain' }, 415, 'unsupported_media_type'],
    // secure-json-parse refuses it while parsing: the body never reaches a handler
    [
      'a prototype-pollution key',
      '{"name":"ok","__proto__":{"role":"admin"}}',
      {},
      400,
      'invalid_json',
    ],
  ])('answers %s with %i %s', async (_name, payload, headers, status, code) => {
    const res = await post(payload, headers)
    expect(res.statusCode).toBe(status)
    expect(res.json()).toMatchObject({ status, code, request_id: res.headers['x-request-id'] })
  })

  it('hides the message of an unexpected error behind 500 internal_error', async () => {
    const res = await app.inject({ method: 'GET', url: '/boom' })
    expect(res.statusCode).toBe(500)
    expect(res.json()).toMatchObject({
      code: 'internal_error',
      detail: 'Something went wrong on our side.',
    })
    expect(res.body).not.toContain('hunter2')
    expect(res.body).not.toContain('at ')
  })

  it('keeps the status and code of a domain error', async () => {
    const res = await app.inject({ method: 'GET', url: '/gone' })
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({
      type: 'urn:authpair:problem:email_taken',
      title: 'Conflict',
      code: 'email_taken',
      detail: 'That email is taken.',
    })
  })

  it('turns an unreachable database into 503 with Retry-After, not 500', async () => {
    const res = await app.inject({ method: 'GET', url: '/db-down' })
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('5')
    expect(res.json().code).toBe('service_unavailable')
    expect(res.body).not.toContain('5432')
  })

  it('recognises errors by their class, not by a string they carry', async () => {
    const res = await app.inject({ method: 'GET', url: '/looks-like-db-down' })
    expect(res.statusCode).toBe(500)
    expect(res.json().code).toBe('internal_error')
    expect(res.body).not.toContain('5432')
  })

  it.each([
    [
      'a path parameter that is not UTF-8 (a lone surrogate, WTF-8 encoded)',
      '/things/%ED%A0%80',
      400,
    ],
    ['a path parameter over maxParamLength', `/things/${'a'.repeat(5000)}`, 414],
  ])('answers %s with problem+json that does not echo the path', async (_name, url, status) => {
    const res = await app.inject({ method: 'GET', url })
    expect(res.statusCode).toBe(status)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toMatchObject({
      status,
      code: 'validation_failed',
      detail: 'The request URL is not valid.',
      request_id: res.headers['x-request-id'],
    })
    expect(res.body).not.toContain('things')
  })

  it('answers an unknown method on a known path as 404 problem+json', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/things' })
    expect(res.statusCode).toBe(404)
    expect(res.json().code).toBe('not_found')
  })
})
