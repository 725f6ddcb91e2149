import { MfaRequiredProblemSchema, ProblemSchema, SessionSchema } from '@authpair/contracts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createServer, docs } from '../src/index.js'
import { operationIdOf } from '../src/openapi-transform.js'
import { testConfig } from './fixtures.js'

const WidgetSchema = z.object({ id: z.string(), name: z.string() }).meta({ id: 'TestWidget' })
const WidgetBodySchema = z.strictObject({ name: z.string().min(1) }).meta({ id: 'TestWidgetBody' })

type OpenApi = {
  servers: unknown
  paths: Record<string, Record<string, Record<string, unknown>>>
  components: { schemas: Record<string, unknown> }
}

async function documentOf(routes: (app: ReturnType<typeof createServer>) => void) {
  const app = createServer({ name: 'test', config: testConfig })
  await app.register(docs, {
    title: 'test',
    description: 'test',
    version: '0.0.0',
    routePrefix: '/test/docs',
    exposed: false,
    servers: [{ url: 'https://gateway.test', description: 'The gateway' }],
  })
  routes(app)
  await app.ready()
  try {
    return app.swagger() as unknown as OpenApi
  } finally {
    await app.close()
  }
}

let doc: OpenApi
beforeAll(async () => {
  doc = await documentOf((app) => {
    app.post(
      '/widgets/:widgetId/parts',
      {
        schema: {
          params: z.object({ widgetId: z.uuid() }),
          body: WidgetBodySchema,
          response: { 201: WidgetSchema, 403: MfaRequiredProblemSchema, 409: ProblemSchema },
        },
      },
      async () => ({ id: 'w', name: 'n' }),
    )
    app.get(
      '/widgets/mine',
      {
        schema: {
          security: [{ bearerAuth: [] }],
          response: { 200: z.array(WidgetSchema), 401: ProblemSchema },
        },
      },
      async () => [],
    )
    app.delete(
      '/widgets/:id',
      {
        schema: {
          operationId: 'removeWidget',
          security: [{ bearerAuth: [] }],
          params: z.object({ id: z.uuid() }),
          response: { 204: z.null(), 400: ProblemSchema, 404: ProblemSchema },
        },
      },
      async (_request, reply) => reply.code(204).send(null),
    )
    app.get(
      '/widgets/go',
      { schema: { response: { 302: z.null(), 429: ProblemSchema } } },
      async (_request, reply) => reply.redirect('/widgets/mine'),
    )
    app.get('/plain', async () => 'no schema at all')
    app.get('/hidden', { schema: { hide: true } }, async () => 'no')
  })
})
afterAll(() => {})

const operation = (path: string, method: string) => {
  const found = doc.paths[path]?.[method]
  if (!found) throw new Error(`${method} ${path} is not documented`)
  return found as {
    operationId?: string
    security?: unknown
    responses: Record<string, { description: string; content?: Record<string, unknown> }>
  }
}

describe('operationIdOf', () => {
  it('names a route by its method and URL, a path parameter as By + its name', () => {
    expect(operationIdOf('GET', '/auth/.well-known/jwks.json')).toBe('getAuthWellKnownJwksJson')
    expect(operationIdOf('POST', '/auth/logout-all')).toBe('postAuthLogoutAll')
    expect(operationIdOf('DELETE', '/admin/users/:id/mfa')).toBe('deleteAdminUsersByIdMfa')
    expect(operationIdOf('GET', '/admin/auth/users/{id}')).toBe('getAdminAuthUsersById')
    expect(operationIdOf('GET', '/auth/oauth/:provider/callback')).toBe(
      'getAuthOauthByProviderCallback',
    )
  })
})

describe('the OpenAPI document a service serves', () => {
  it('gives every operation an operationId from its method and URL unless it declares one', () => {
    expect(operation('/widgets/{widgetId}/parts', 'post').operationId).toBe(
      'postWidgetsByWidgetIdParts',
    )
    expect(operation('/widgets/mine', 'get').operationId).toBe('getWidgetsMine')
    expect(operation('/widgets/{id}', 'delete').operationId).toBe('removeWidget')
    expect(operation('/plain', 'get').operationId).toBe('getPlain')
    expect(doc.paths['/hidden']).toBeUndefined()
  })

  it('documents a route without `security` as public (security: []) and keeps a declared one', () => {
    expect(operation('/widgets/{widgetId}/parts', 'post').security).toEqual([])
    expect(operation('/widgets/mine', 'get').security).toEqual([{ bearerAuth: [] }])
    expect(operation('/plain', 'get').security).toEqual([])
  })

  it('describes each status, and declares problem bodies as application/problem+json', () => {
    const post = operation('/widgets/{widgetId}/parts', 'post').responses
    expect(post['201']?.description).toBe('Created')
    expect(post['201']?.content).toEqual({
      'application/json': { schema: { $ref: '#/components/schemas/TestWidget' } },
    })
    expect(post['409']?.description).toMatch(/^Conflict: RFC 9457 problem details/)
    expect(post['409']?.content).toEqual({
      'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
    })
    expect(post['403']?.description).toMatch(/^Forbidden: .*mfa_required/)
    expect(post['403']?.content).toEqual({
      'application/problem+json': { schema: { $ref: '#/components/schemas/MfaRequiredProblem' } },
    })
    const removed = operation('/widgets/{id}', 'delete').responses
    expect(removed['204']).toEqual({ description: 'No Content' })
    expect(removed['404']?.description).toMatch(/^Not Found/)
  })

  it('documents Retry-After on a 429 and Location on a redirect', () => {
    const go = operation('/widgets/go', 'get').responses as Record<
      string,
      { headers?: Record<string, { schema?: { type?: string } }> }
    >
    expect(go['429']?.headers?.['retry-after']?.schema?.type).toBe('integer')
    expect(go['302']?.headers?.location?.schema?.type).toBe('string')
    expect(operation('/widgets/{widgetId}/parts', 'post').responses['201']).not.toHaveProperty(
      'headers',
    )
  })

  it('adds the 400 validation_failed answer to a route that takes input and declares none', () => {
    const post = operation('/widgets/{widgetId}/parts', 'post').responses
    expect(Object.keys(post).sort()).toEqual(['201', '400', '403', '409'])
    expect(post['400']?.content).toEqual({
      'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
    })
    // No input, no 400: nothing a client sends can be refused.
    expect(Object.keys(operation('/widgets/mine', 'get').responses).sort()).toEqual(['200', '401'])
  })

  it('holds only the schemas its operations reach, not every contract the process loaded', () => {
    // SessionSchema is registered (imported above) but no route here uses it.
    expect(SessionSchema).toBeDefined()
    expect(Object.keys(doc.components.schemas).sort()).toEqual([
      'MfaMethod',
      'MfaRequiredProblem',
      'Problem',
      'TestWidget',
      'TestWidgetBodyInput',
    ])
  })

  it('names the servers it was given', () => {
    expect(doc.servers).toEqual([{ url: 'https://gateway.test', description: 'The gateway' }])
  })

  it('refuses two operations with one operationId', async () => {
    await expect(
      documentOf((app) => {
        app.get('/a', { schema: { operationId: 'same' } }, async () => 'a')
        app.get('/b', { schema: { operationId: 'same' } }, async () => 'b')
      }),
    ).rejects.toThrow('operationId same is used by both GET /a and GET /b')
  })
})
