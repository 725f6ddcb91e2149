import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { jwtVerifyPlugin } from '../src/fastify-plugin.js'
import type { VerifiedToken } from '../src/index.js'
import {
  AUDIENCE,
  accessToken,
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
    return { id: request.user?.userId }
  })
  app.get('/admin', { preHandler: app.requireRole('admin') }, async () => ({ ok: true }))
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
