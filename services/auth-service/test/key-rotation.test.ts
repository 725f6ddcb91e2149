import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, manualClock, type TestApp } from './helper.js'

const clock = manualClock()
let t: TestApp
let adminToken: string
let userToken: string

async function signIn(email: string, role: 'user' | 'admin') {
  await t.app.inject({
    method: 'POST',
    url: '/auth/register',
    payload: { email, password: 'orchard-tidal-sparrow' },
  })
  const user = await t.app.db.users.findByEmail(email)
  if (role === 'admin' && user) {
    await t.app.db.users.update(user.id, { role: 'admin', updatedAt: clock.now() })
  }
  const res = await t.app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { email, password: 'orchard-tidal-sparrow' },
  })
  return res.json().access_token as string
}

beforeAll(async () => {
  t = await buildTestApp({}, { now: clock.now })
  adminToken = await signIn('admin@example.com', 'admin')
  userToken = await signIn('plain@example.com', 'user')
})
afterAll(async () => t?.close())

const jwks = async () =>
  (await t.app.inject({ method: 'GET', url: '/auth/.well-known/jwks.json' })).json() as {
    keys: { kid: string }[]
  }
const verifyWithServedJwks = async (token: string) =>
  jwtVerify(token, createLocalJWKSet(await jwks()), {
    issuer: 'http://localhost:8080',
    audience: 'authpair-api',
    typ: 'at+jwt',
    currentDate: clock.now(),
  })

describe('signing-key rotation', () => {
  it('is refused to a non-admin (403) and to an anonymous caller (401)', async () => {
    const anonymous = await t.app.inject({ method: 'POST', url: '/admin/auth/keys/rotate' })
    expect(anonymous.statusCode).toBe(401)
    const user = await t.app.inject({
      method: 'POST',
      url: '/admin/auth/keys/rotate',
      headers: { authorization: `Bearer ${userToken}` },
    })
    expect(user.statusCode).toBe(403)
    expect(user.json().code).toBe('forbidden')
  })

  it('publishes the next key before it signs, and keeps the retired key until its tokens expire', async () => {
    const oldKid = t.app.keys.activeKey().kid
    const oldToken = adminToken

    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/auth/keys/rotate',
      headers: { authorization: `Bearer ${adminToken}` },
    })
    expect(res.statusCode).toBe(201)
    const next = res.json()
    expect(next.status).toBe('next')

    // Published at once, but not signing yet: verifiers get to cache it first.
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([oldKid, next.kid])
    expect(t.app.keys.activeKey().kid).toBe(oldKid)

    // Past the lead time (JWKS max-age 300 s + refresh 30 s + 60 s), new tokens carry the new kid.
    clock.advance(391)
    expect(t.app.keys.activeKey().kid).toBe(next.kid)
    const fresh = (
      await t.app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { email: 'plain@example.com', password: 'orchard-tidal-sparrow' },
      })
    ).json().access_token as string
    expect(decodeProtectedHeader(fresh).kid).toBe(next.kid)

    // A token signed by the retired-but-published key still verifies against the served JWKS
    // (it is 391 s old, within its 15 minutes)…
    await t.app.keys.refresh()
    await expect(verifyWithServedJwks(oldToken)).resolves.toBeDefined()
    // The admin's token, signed by the old key, keeps working for admin calls too.
    const listed = await t.app.inject({
      method: 'GET',
      url: '/admin/auth/keys',
      headers: { authorization: `Bearer ${oldToken}` },
    })
    expect(listed.statusCode).toBe(200)
    const statuses = Object.fromEntries(
      listed.json().items.map((k: { kid: string; status: string }) => [k.kid, k.status]),
    )
    expect(statuses).toEqual({ [oldKid]: 'retired', [next.kid]: 'active' })

    // …and once every token it signed has expired, it leaves the JWKS.
    clock.advance(900 + 120)
    await t.app.keys.refresh()
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([next.kid])
  })

  it('never verifies a token whose kid was never published', async () => {
    const token = (
      await t.app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { email: 'plain@example.com', password: 'orchard-tidal-sparrow' },
      })
    ).json().access_token as string
    const [header, payload, signature] = token.split('.')
    const forgedHeader = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(header ?? '', 'base64url').toString()),
        kid: 'never-published',
      }),
    ).toString('base64url')
    const forged = `${forgedHeader}.${payload}.${signature}`
    await expect(verifyWithServedJwks(forged)).rejects.toThrow()
    const res = await t.app.inject({
      method: 'GET',
      url: '/auth/sessions',
      headers: { authorization: `Bearer ${forged}` },
    })
    expect(res.statusCode).toBe(401)
  })
})

describe('admin session revocation', () => {
  it('ends every session of a user at once', async () => {
    const token = (
      await t.app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { email: 'plain@example.com', password: 'orchard-tidal-sparrow' },
      })
    ).json().access_token as string
    const admin = (
      await t.app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { email: 'admin@example.com', password: 'orchard-tidal-sparrow' },
      })
    ).json().access_token as string
    const user = await t.app.db.users.findByEmail('plain@example.com')
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/admin/auth/users/${user?.id}/sessions`,
      headers: { authorization: `Bearer ${admin}` },
    })
    expect(res.statusCode).toBe(204)
    const after = await t.app.inject({
      method: 'GET',
      url: '/auth/sessions',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(after.statusCode).toBe(401)
    const events = await t.app.db.auditEvents.listForUser(user?.id ?? '', 20)
    expect(events.map((e) => e.type)).toContain('sessions_revoked')
  })
})
