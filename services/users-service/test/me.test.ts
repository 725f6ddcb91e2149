import { generateKeyPair, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Pair, startUsersService } from './helper.js'

let pair: Pair
beforeAll(async () => {
  pair = await startUsersService()
})
afterAll(async () => pair?.close())

const me = (authorization?: string) =>
  pair.users.inject({
    method: 'GET',
    url: '/users/me',
    ...(authorization ? { headers: { authorization } } : {}),
  })

describe('GET /users/me', () => {
  it('answers 401 problem+json without a token, with a Bearer challenge', async () => {
    const res = await me()
    expect(res.statusCode).toBe(401)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.headers['www-authenticate']).toBe('Bearer')
    expect(res.json()).toMatchObject({ status: 401, code: 'unauthorized' })
  })

  it.each([
    ['a Basic credential', 'Basic dXNlcjpwYXNz'],
    ['a bearer that is not a JWT', 'Bearer not-a-jwt'],
    ['a three-part string of junk', 'Bearer aaa.bbb.ccc'],
  ])('answers 401 invalid_token for %s', async (_name, header) => {
    const res = await me(header)
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('invalid_token')
  })

  it('returns the profile for a genuine token, without secrets', async () => {
    const { token, userId, email } = await pair.userWithToken()
    const res = await me(`Bearer ${token}`)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      id: userId,
      email,
      email_verified: false,
      name: null,
      locale: null,
      role: 'user',
      created_at: expect.any(String),
      providers: [],
      mfa_enabled: false,
    })
    expect(res.body).not.toContain('password')
  })

  it.each([
    ['GET', undefined],
    ['PATCH', { name: 'Service' }],
    ['DELETE', undefined],
  ] as const)(
    'answers %s /users/me with a client token 403 forbidden: a client is no user',
    async (method, payload) => {
      // A genuine client token, even with every scope, stands for no user and has no session:
      // never treated as one (its sub is a client id, which could collide with nothing or worse).
      const token = await pair.issuer.clientToken({ clientId: 'svc-1', scope: 'users:read' })
      const res = await pair.users.inject({
        method,
        url: '/users/me',
        headers: { authorization: `Bearer ${token}` },
        ...(payload ? { payload } : {}),
      })
      expect(res.statusCode).toBe(403)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.json().code).toBe('forbidden')
    },
  )

  it('refuses a client token whose client id is a user’s id, and leaves the user alone', async () => {
    const { userId } = await pair.userWithToken()
    const token = await pair.issuer.clientToken({ clientId: userId })
    for (const method of ['GET', 'DELETE'] as const) {
      const res = await pair.users.inject({
        method,
        url: '/users/me',
        headers: { authorization: `Bearer ${token}` },
      })
      expect(res.statusCode).toBe(403)
    }
    expect(await pair.users.db.users.findById(userId)).toBeDefined()
  })

  it('refuses a genuine token of a user who has since been deleted', async () => {
    const { token, userId } = await pair.userWithToken()
    await pair.users.db.users.delete(userId)
    const res = await me(`Bearer ${token}`)
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('invalid_token')
  })

  it('refuses a token signed by a key the issuer never published', async () => {
    const { privateKey } = await generateKeyPair('RS256')
    const kid = pair.issuer.kid
    const forged = await new SignJWT({ sid: 's', role: 'admin' })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt' })
      .setIssuer('http://localhost:8080')
      .setAudience('authpair-api')
      .setSubject('someone')
      .setIssuedAt()
      .setJti('j')
      .setExpirationTime('5m')
      .sign(privateKey)
    const res = await me(`Bearer ${forged}`)
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('invalid_token')
  })
})

describe('users-service, app-wide behaviour', () => {
  it('renders Swagger UI at /users/docs and documents /users/me with bearer auth', async () => {
    const ui = await pair.users.inject({ method: 'GET', url: '/users/docs/' })
    expect(ui.statusCode).toBe(200)
    const doc = (await pair.users.inject({ method: 'GET', url: '/users/docs/json' })).json()
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.paths['/users/me'].get.security).toEqual([{ bearerAuth: [] }])
    expect(doc.paths['/users/me'].get.operationId).toBe('getUsersMe')
    expect(doc.paths['/users/me'].get.responses['401'].content).toEqual({
      'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
    })
    // Only this service's schemas: none of the auth-service's token or session shapes.
    const schemas = Object.keys(doc.components.schemas)
    expect(schemas).toContain('Profile')
    expect(schemas).not.toContain('TokenPair')
    expect(schemas).not.toContain('Session')
    // Only this service's security schemes too.
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      'bearerAuth',
      'clientCredentials',
    ])
  })

  it('is ready with the database reachable, and counts JWKS fetches in /metrics', async () => {
    const ready = await pair.users.inject({ method: 'GET', url: '/ready' })
    expect(ready.json()).toEqual({ status: 'ready', checks: { database: { ok: true } } })
    const metrics = await pair.users.inject({ method: 'GET', url: '/metrics' })
    expect(metrics.body).toMatch(/users_jwks_fetches_total\{outcome="ok"\} [1-9]/)
  })
})
