/**
 * Schema-driven fuzzing of every route both OpenAPI documents describe: bodies, query strings,
 * path parameters and headers that are wrong in type, missing, extra, huge, deeply nested,
 * unicode edge cases, prototype-pollution keys, and bytes that are not UTF-8. Every answer must
 * be a success or a 4xx problem+json: never a 5xx, never a hang. The count per route is printed.
 */
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Pair, startPair } from './helper.js'

let pair: Pair
let token = ''
beforeAll(async () => {
  pair = await startPair({ REVOCATION_CACHE_TTL_MS: '0' })
  token = (await pair.userWithToken('admin')).token
})
afterAll(async () => pair?.close())

const RUNS = Number(process.env.FUZZ_RUNS ?? 150)

const edgeStrings = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  '\uFEFF',
  '\uD800', // lone surrogate
  '𝕬𝖉𝖒𝖎𝖓',
  'a'.repeat(70_000),
  '../../etc/passwd',
  '%00',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  '{"$where":"1"}',
)
const leaf = fc.oneof(
  fc.string(),
  edgeStrings,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.bigInt().map(String),
)
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.string(), tie('v'), { maxKeys: 4 }),
  ),
})).v

/** A body shaped like the route's schema (its property names), with hostile values and extras. */
function bodyFor(properties: string[]) {
  return fc.oneof(
    fc.record(Object.fromEntries(properties.map((p) => [p, value])), { requiredKeys: [] }),
    fc
      .tuple(
        fc.record(Object.fromEntries(properties.map((p) => [p, value])), { requiredKeys: [] }),
        fc.constantFrom('__proto__', 'constructor', 'prototype', 'role', 'is_active'),
        value,
      )
      .map(([body, key, v]) => ({ ...body, [key]: v })),
    value,
  )
}

const rawBodies = fc.oneof(
  fc.constant('{"__proto__":{"polluted":true}}'),
  fc.constant('{"constructor":{"prototype":{"polluted":true}}}'),
  fc.constant(`${'['.repeat(5000)}${']'.repeat(5000)}`),
  fc.constant('{"email": '),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from([0xff, 0xfe, ...bytes])), // not UTF-8
)

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json\tx',
  ' application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
)

interface Route {
  method: string
  path: string
  bodyProperties: string[] | undefined
}

function routesOf(openapi: {
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody?: {
          content?: Record<
            string,
            { schema?: { properties?: Record<string, unknown>; $ref?: string } }
          >
        }
      }
    >
  >
  components?: { schemas?: Record<string, { properties?: Record<string, unknown> }> }
}): Route[] {
  const routes: Route[] = []
  for (const [path, methods] of Object.entries(openapi.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      let schema = op.requestBody?.content?.['application/json']?.schema
      if (schema?.$ref) schema = openapi.components?.schemas?.[schema.$ref.split('/').pop() ?? '']
      routes.push({
        method: method.toUpperCase(),
        path,
        bodyProperties: schema ? Object.keys(schema.properties ?? {}) : undefined,
      })
    }
  }
  return routes
}

async function fuzz(app: FastifyInstance, docsUrl: string) {
  const openapi = (await app.inject({ method: 'GET', url: docsUrl })).json()
  const routes = routesOf(openapi)
  expect(routes.length).toBeGreaterThan(3)
  const counts: Record<string, number> = {}
  for (const route of routes) {
    let tried = 0
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 40 }),
        route.bodyProperties
          ? fc.oneof(
              bodyFor(route.bodyProperties).map((b) => JSON.stringify(b) ?? 'null'),
              rawBodies,
            )
          : fc.constant(undefined),
        contentTypes,
        fc.dictionary(
          fc.constantFrom(
            'limit',
            'cursor',
            'email_prefix',
            'role',
            'active',
            'redirect_uri',
            'code',
            'state',
            'error',
            '__proto__',
          ),
          fc.oneof(fc.string(), edgeStrings),
          { maxKeys: 4 },
        ),
        fc.boolean(),
        async (param, body, contentType, query, authorized) => {
          tried++
          const url = route.path.replace(/\{[^}]+\}/g, encodeURIComponent(param || 'x'))
          const search = new URLSearchParams(query as Record<string, string>).toString()
          const res = await app.inject({
            method: route.method as 'GET',
            url: search ? `${url}?${search}` : url,
            headers: {
              ...(body !== undefined ? { 'content-type': contentType } : {}),
              ...(authorized
                ? { authorization: `Bearer ${token}` }
                : { authorization: `Bearer ${param}` }),
            },
            ...(body !== undefined ? { payload: body } : {}),
          })
          if (res.statusCode >= 500) {
            throw new Error(
              `${route.method} ${url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`,
            )
          }
          if (res.statusCode >= 400) {
            expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
            expect(typeof res.json().code).toBe('string')
          }
        },
      ),
      { numRuns: RUNS, interruptAfterTimeLimit: 60_000 },
    )
    counts[`${route.method} ${route.path}`] = tried
  }
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  return counts
}

describe('schema-driven fuzzing', () => {
  it('never answers 5xx on any auth-service route', { timeout: 300_000 }, async () => {
    const counts = await fuzz(pair.auth, '/auth/docs/json')
    const total = Object.values(counts).reduce((a, b) => a + b, 0)
    console.log(
      `fuzz auth-service: ${total} inputs over ${Object.keys(counts).length} routes, 5xx seen = 0\n${Object.entries(
        counts,
      )
        .map(([r, n]) => `  ${n}\t${r}`)
        .join('\n')}`,
    )
  })

  it('never answers 5xx on any users-service route', { timeout: 300_000 }, async () => {
    const counts = await fuzz(pair.users, '/users/docs/json')
    const total = Object.values(counts).reduce((a, b) => a + b, 0)
    console.log(
      `fuzz users-service: ${total} inputs over ${Object.keys(counts).length} routes, 5xx seen = 0\n${Object.entries(
        counts,
      )
        .map(([r, n]) => `  ${n}\t${r}`)
        .join('\n')}`,
    )
  })
})
