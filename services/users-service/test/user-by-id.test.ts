/**
 * GET /users/:id: how an internal service resolves a user it saw in a token, with a client
 * token (client-credentials grant) carrying scope users:read. Client tokens come from the
 * stand-in issuer, signed as the auth-service's token endpoint signs them.
 */
import { newId } from '@authpair/db'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Pair, startUsersService } from './helper.js'

let pair: Pair
let user: Awaited<ReturnType<Pair['userWithToken']>>
let reader: string
beforeAll(async () => {
  pair = await startUsersService()
  user = await pair.userWithToken()
  reader = await pair.issuer.clientToken({ clientId: 'billing', scope: 'orders:write users:read' })
})
afterAll(async () => pair?.close())

const CHALLENGE = 'Bearer error="insufficient_scope", scope="users:read"'

const lookup = (id: string, token?: string) =>
  pair.users.inject({
    method: 'GET',
    url: `/users/${id}`,
    ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  })

function expectProblem(res: Awaited<ReturnType<typeof lookup>>, status: number, code: string) {
  expect({ status: res.statusCode, code: res.json().code }).toEqual({ status, code })
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
}

describe('GET /users/:id with a client token', () => {
  it('answers the profile, the same one the user sees at /users/me', async () => {
    const res = await lookup(user.userId, reader)
    expect(res.statusCode).toBe(200)
    const me = await pair.users.inject({
      method: 'GET',
      url: '/users/me',
      headers: { authorization: `Bearer ${user.token}` },
    })
    expect(res.json()).toEqual(me.json())
    expect(res.json()).toMatchObject({ id: user.userId, email: user.email, role: 'user' })
    expect(res.body).not.toContain('password')
  })

  it('answers 404 not_found for an id no user has', async () => {
    expectProblem(await lookup(newId(), reader), 404, 'not_found')
  })

  it('answers 404 for a deactivated user, as for one that is gone', async () => {
    const gone = await pair.userWithToken()
    await pair.users.db.users.update(gone.userId, { isActive: false, updatedAt: new Date() })
    expectProblem(await lookup(gone.userId, reader), 404, 'not_found')
  })

  it('answers 400 validation_failed for an id that is not a UUID', async () => {
    expectProblem(await lookup('not-a-uuid', reader), 400, 'validation_failed')
  })
})

describe('GET /users/:id: who may not', () => {
  it.each([
    ['no scope at all', undefined],
    ['other scopes only', 'orders:write users:write'],
    ['a scope that only starts the same', 'users:reader'],
  ])(
    'answers a client token with %s 403 insufficient_scope, naming the scope',
    async (_name, scope) => {
      const token = await pair.issuer.clientToken({
        clientId: 'billing',
        ...(scope ? { scope } : {}),
      })
      const res = await lookup(user.userId, token)
      expectProblem(res, 403, 'insufficient_scope')
      expect(res.headers['www-authenticate']).toBe(CHALLENGE)
    },
  )

  it('answers a user’s token 403 forbidden: a user reads no other user, not even with the scope', async () => {
    // SECURITY.md T10: a user reads their own profile at /users/me. A user's token is refused
    // here whoever it names, an admin's included, and whatever scope it might carry.
    const admin = await pair.userWithToken('admin')
    const scoped = await pair.issuer.accessToken({
      userId: user.userId,
      sessionId: newId(),
      role: 'user',
      scope: 'users:read',
    })
    for (const [who, token, id] of [
      ['a user, about another', user.token, admin.userId],
      ['a user, about themselves', user.token, user.userId],
      ['an admin', admin.token, user.userId],
      ['a user token with scope users:read', scoped, admin.userId],
    ] as const) {
      const res = await lookup(id, token)
      expect({ who, status: res.statusCode, code: res.json().code }).toEqual({
        who,
        status: 403,
        code: 'forbidden',
      })
    }
  })

  it('answers 401 with a Bearer challenge without a token', async () => {
    const res = await lookup(user.userId)
    expectProblem(res, 401, 'unauthorized')
    expect(res.headers['www-authenticate']).toBe('Bearer')
  })

  it('answers 401 invalid_token to a token that is neither a user’s nor a client’s', async () => {
    // No sid, and its sub is not its client_id: a shape our issuer never makes.
    const token = await pair.issuer.clientToken({
      clientId: 'billing',
      scope: 'users:read',
      claims: { client_id: 'someone-else' },
    })
    expectProblem(await lookup(user.userId, token), 401, 'invalid_token')
  })

  it('answers 401 invalid_token to a client token claiming a role', async () => {
    const token = await pair.issuer.clientToken({
      clientId: 'billing',
      scope: 'users:read',
      claims: { role: 'admin' },
    })
    expectProblem(await lookup(user.userId, token), 401, 'invalid_token')
  })
})

describe('GET /users/:id in the OpenAPI document', () => {
  it('is documented with the client-credentials scheme, its scope and every status', async () => {
    const doc = (await pair.users.inject({ method: 'GET', url: '/users/docs/json' })).json()
    const op = doc.paths['/users/{id}'].get
    expect(op.security).toEqual([{ clientCredentials: ['users:read'] }])
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403', '404', '503'])
    expect(op.parameters).toEqual([
      expect.objectContaining({ in: 'path', name: 'id', required: true }),
    ])
    expect(doc.components.securitySchemes.clientCredentials).toMatchObject({
      type: 'oauth2',
      flows: { clientCredentials: { scopes: { 'users:read': expect.any(String) } } },
    })
  })
})
