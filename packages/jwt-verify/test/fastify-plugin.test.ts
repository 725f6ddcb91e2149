import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { jwtVerifyPlugin } from '../src/fastify-plugin.js'
import type { VerifiedToken } from '../src/index.js'
import {
  AUDIENCE,
  accessToken,
  clientToken,
  ISSUER,
  type KeyServer,
  makeKey,
  type SigningKey,
  startKeyServer,
} from './support/key-server.js'

let key: SigningKey
let server: KeyServer
const app = Fastify()

beforeAll(async () => {
  key = await makeKey('k1')
  server = await startKeyServer([key])
  await app.register(jwtVerifyPlugin, { jwksUrl: server.url, issuer: ISSUER, audience: AUDIENCE })
  app.get('/me', { preHandler: app.authenticate }, async (request) => {
    expectTypeOf(request.user).toEqualTypeOf<VerifiedToken | null>()
    const who = request.user
    return who?.kind === 'user' ? { id: who.userId } : { client: who?.clientId }
  })
  app.get('/profile', { preHandler: app.requireUser }, async (request) => ({
    kind: request.user?.kind,
  }))
  app.get('/admin', { preHandler: app.requireRole('admin') }, async () => ({ ok: true }))
  app.get('/reports', { preHandler: app.requireScope('reports:read') }, async () => ({ ok: true }))
  app.get('/users/:id', { preHandler: app.requireClient('users:read') }, async (request) => ({
    client: request.user?.kind === 'client' ? request.user.clientId : null,
  }))
  await app.ready()
})
afterAll(async () => {
  await app.close()
  await server.close()
})

describe('Fastify plugin', () => {
  it('sets request.user for a valid bearer token', async () => {
    const res = await app.inject({
      url: '/me',
      headers: { authorization: `Bearer ${await accessToken(key)}` },
    })
    expect(res.json()).toEqual({ id: 'user-1' })
  })

  it('answers 401 with an RFC 6750 challenge without a token, and invalid_token for a bad one', async () => {
    const none = await app.inject({ url: '/me' })
    expect(none.statusCode).toBe(401)
    expect(none.headers['www-authenticate']).toBe('Bearer')
    const bad = await app.inject({ url: '/me', headers: { authorization: 'Bearer abc.def.ghi' } })
    expect(bad.statusCode).toBe(401)
    expect(bad.headers['www-authenticate']).toBe('Bearer error="invalid_token"')
    expect(bad.json().code).toBe('invalid_token')
  })

  it('guards by role: 403 for the wrong role, through for the right one', async () => {
    const user = await app.inject({
      url: '/admin',
      headers: { authorization: `Bearer ${await accessToken(key)}` },
    })
    expect(user.statusCode).toBe(403)
    const adminToken = await accessToken(key, { claims: { role: 'admin' } })
    const admin = await app.inject({
      url: '/admin',
      headers: { authorization: `Bearer ${adminToken}` },
    })
    expect(admin.statusCode).toBe(200)
  })

  const get = async (url: string, token?: string) =>
    app.inject({ url, ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) })

  it('lets either kind through authenticate, and says which it is', async () => {
    expect((await get('/me', await accessToken(key))).json()).toEqual({ id: 'user-1' })
    expect((await get('/me', await clientToken(key))).json()).toEqual({ client: 'client-1' })
  })

  it('refuses a client token where a user is required: 403 forbidden, never a user', async () => {
    const client = await clientToken(key, { scope: 'users:read reports:read' })
    for (const url of ['/profile', '/admin']) {
      const res = await get(url, client)
      expect({ url, status: res.statusCode, code: res.json().code }).toEqual({
        url,
        status: 403,
        code: 'forbidden',
      })
    }
    expect((await get('/profile', await accessToken(key))).json()).toEqual({ kind: 'user' })
  })

  it('answers 403 insufficient_scope with the RFC 6750 challenge to a token without the scope', async () => {
    for (const token of [await clientToken(key, { scope: 'users:read' }), await accessToken(key)]) {
      const res = await get('/reports', token)
      expect(res.statusCode).toBe(403)
      expect(res.json().code).toBe('insufficient_scope')
      expect(res.headers['www-authenticate']).toBe(
        'Bearer error="insufficient_scope", scope="reports:read"',
      )
    }
    expect(
      (await get('/reports', await clientToken(key, { scope: 'reports:read' }))).statusCode,
    ).toBe(200)
    const none = await get('/reports')
    expect(none.statusCode).toBe(401)
    expect(none.headers['www-authenticate']).toBe('Bearer')
  })

  it('keeps a client route to clients: a user’s token is 403 forbidden, a client’s needs the scope', async () => {
    const user = await get('/users/1', await accessToken(key, { claims: { scope: 'users:read' } }))
    expect(user.statusCode).toBe(403)
    expect(user.json().code).toBe('forbidden')
    const unscoped = await get('/users/1', await clientToken(key, { scope: 'orders:read' }))
    expect(unscoped.statusCode).toBe(403)
    expect(unscoped.json().code).toBe('insufficient_scope')
    expect(unscoped.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", scope="users:read"',
    )
    const scoped = await get('/users/1', await clientToken(key, { scope: 'users:read' }))
    expect(scoped.json()).toEqual({ client: 'client-1' })
  })

  it('checks the scopes a guard is given when the route is declared', () => {
    expect(() => app.requireScope()).toThrow(TypeError)
    expect(() => app.requireScope('users read')).toThrow(TypeError)
    expect(() => app.requireClient('users:read', 'a"b')).toThrow(TypeError)
    expect(() => app.requireRole()).toThrow(TypeError)
  })

  it('answers 503 when it cannot get keys at all', async () => {
    const lonely = Fastify()
    await lonely.register(jwtVerifyPlugin, {
      jwksUrl: 'http://127.0.0.1:1/jwks',
      issuer: ISSUER,
      audience: AUDIENCE,
    })
    lonely.get('/me', { preHandler: lonely.authenticate }, async () => ({}))
    const res = await lonely.inject({
      url: '/me',
      headers: { authorization: `Bearer ${await accessToken(key)}` },
    })
    expect(res.statusCode).toBe(503)
    await lonely.close()
  })
})
