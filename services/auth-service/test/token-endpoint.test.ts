/**
 * POST /auth/token, the RFC 6749 token endpoint, over a real listener: a standard OAuth client
 * library written by others (openid-client) gets client-credentials tokens using only the
 * discovery document, and the tokens verify with jose against the JWKS; then every error of
 * RFC 6749 §5.2, the refresh grant, and the clients' admin API.
 */
import { Writable } from 'node:stream'
import { freePort } from '@authpair/service-kit/testing'
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose'
import * as oauth from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, manualClock, type TestApp } from './helper.js'

let t: TestApp
// Starts at the real time (the library and jose check token times against it) and is moved
// by hand past the refresh leeway.
const clock = manualClock(new Date())
let base: string
let adminToken: string
const logLines: string[] = []
const PASSWORD = 'token-endpoint-admin-9'

beforeAll(async () => {
  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk))
      done()
    },
  })
  t = await buildTestApp(
    { ISSUER: base, RATE_LIMIT_TOKEN_PER_CLIENT: '100000' },
    { logger: { level: 'debug', stream }, now: clock.now },
  )
  await t.app.listen({ host: '127.0.0.1', port })
  const admin = await t.app.accountRules.createUser({
    email: 'clients-admin@example.com',
    password: PASSWORD,
    role: 'admin',
    emailVerified: true,
  })
  adminToken = (
    await t.app.accounts.startSession(admin, { ip: '127.0.0.1', userAgent: 't', requestId: 'r' }, [
      'pwd',
    ])
  ).access_token
})
afterAll(async () => t?.close())

const asAdmin = { authorization: () => `Bearer ${adminToken}` }
async function createClient(body: object) {
  const res = await fetch(`${base}/admin/clients`, {
    method: 'POST',
    headers: { authorization: asAdmin.authorization(), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  expect(res.status).toBe(201)
  expect(res.headers.get('cache-control')).toBe('no-store')
  return (await res.json()) as { client_id: string; client_secret: string; scopes: string[] }
}

function tokenRequest(
  form: Record<string, string>,
  headers: Record<string, string> = {},
  raw?: string,
) {
  return fetch(`${base}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: raw ?? new URLSearchParams(form).toString(),
  })
}
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`

async function expectOAuthError(res: Response, status: number, error: string) {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  expect(res.headers.get('cache-control')).toBe('no-store')
  const body = (await res.json()) as { error: string; error_description?: string }
  expect(body.error).toBe(error)
  expect(typeof body.error_description).toBe('string')
}

describe('a standard OAuth client library, from the discovery document alone', () => {
  it('gets a client-credentials token with client_secret_basic and client_secret_post', async () => {
    const client = await createClient({
      name: 'reporting',
      scopes: ['users:read', 'reports:write'],
      audiences: ['authpair-api'],
    })
    for (const auth of [oauth.ClientSecretBasic, oauth.ClientSecretPost]) {
      const config = await oauth.discovery(
        new URL(base),
        client.client_id,
        undefined,
        auth(client.client_secret),
        { execute: [oauth.allowInsecureRequests] },
      )
      expect(config.serverMetadata().token_endpoint).toBe(`${base}/auth/token`)
      const tokens = await oauth.clientCredentialsGrant(config, { scope: 'users:read' })
      expect(tokens.token_type.toLowerCase()).toBe('bearer')
      expect(tokens.refresh_token).toBeUndefined()
      const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri ?? ''))
      const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
        issuer: base,
        audience: 'authpair-api',
        typ: 'at+jwt',
      })
      expect(protectedHeader.typ).toBe('at+jwt')
      expect(payload).toMatchObject({
        sub: client.client_id,
        client_id: client.client_id,
        scope: 'users:read',
      })
      expect(payload.sid).toBeUndefined()
      expect(payload.role).toBeUndefined()
    }
  })

  it('lists the endpoint, its grants and its client authentication in the discovery document', async () => {
    const metadata = (await (await fetch(`${base}/.well-known/openid-configuration`)).json()) as {
      token_endpoint: string
      grant_types_supported: string[]
      token_endpoint_auth_methods_supported: string[]
    }
    expect(metadata.token_endpoint).toBe(`${base}/auth/token`)
    expect(metadata.grant_types_supported).toEqual(
      expect.arrayContaining(['refresh_token', 'client_credentials']),
    )
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post']),
    )
  })
})

describe('the client-credentials grant', () => {
  it('grants every scope of the client when none is asked for, and names the audience asked for', async () => {
    const client = await createClient({
      name: 'two audiences',
      scopes: ['a:read', 'b:read'],
      audiences: ['api-a', 'api-b'],
    })
    const res = await tokenRequest(
      { grant_type: 'client_credentials', audience: 'api-b' },
      { authorization: basic(client.client_id, client.client_secret) },
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as { access_token: string; scope: string }
    expect(body.scope).toBe('a:read b:read')
    expect(decodeJwt(body.access_token).aud).toBe('api-b')
    // RFC 8707's resource picks it too.
    const viaResource = await tokenRequest(
      { grant_type: 'client_credentials', resource: 'api-a', scope: 'a:read' },
      { authorization: basic(client.client_id, client.client_secret) },
    )
    const token = ((await viaResource.json()) as { access_token: string }).access_token
    expect(decodeJwt(token)).toMatchObject({ aud: 'api-a', scope: 'a:read' })
  })

  it('answers every RFC 6749 §5.2 error with its code, no-store, and WWW-Authenticate on invalid_client', async () => {
    const client = await createClient({ name: 'errors', scopes: ['users:read'], audiences: [] })
    const good = basic(client.client_id, client.client_secret)
    const cc = { grant_type: 'client_credentials' }

    for (const authorization of [
      basic(client.client_id, 'not-the-secret'),
      basic('00000000-0000-7000-8000-000000000000', client.client_secret),
      'Basic bm8tY29sb24=', // "no-colon"
      'Bearer some-token',
    ]) {
      const res = await tokenRequest(cc, { authorization })
      await expectOAuthError(res, 401, 'invalid_client')
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic /)
    }
    await expectOAuthError(await tokenRequest(cc), 401, 'invalid_client')
    await expectOAuthError(
      await tokenRequest({ ...cc, client_id: client.client_id }),
      401,
      'invalid_client',
    )
    await expectOAuthError(
      await tokenRequest(
        { ...cc, client_id: client.client_id, client_secret: client.client_secret },
        { authorization: good },
      ),
      400,
      'invalid_request',
    )
    await expectOAuthError(
      await tokenRequest({ grant_type: 'password' }, { authorization: good }),
      400,
      'unsupported_grant_type',
    )
    await expectOAuthError(
      await tokenRequest({ ...cc, scope: 'users:read users:write' }, { authorization: good }),
      400,
      'invalid_scope',
    )
    await expectOAuthError(
      await tokenRequest({ ...cc, audience: 'someone-elses-api' }, { authorization: good }),
      400,
      'invalid_target',
    )
    await expectOAuthError(
      await tokenRequest(
        {},
        { authorization: good },
        'grant_type=client_credentials&scope=a&scope=b',
      ),
      400,
      'invalid_request',
    )
    await expectOAuthError(await tokenRequest({}, { authorization: good }), 400, 'invalid_request')
    await expectOAuthError(
      await tokenRequest({ grant_type: 'refresh_token' }),
      400,
      'invalid_request',
    )
    await expectOAuthError(
      await tokenRequest({ grant_type: 'refresh_token', refresh_token: 'not-a-token' }),
      400,
      'invalid_grant',
    )
    // The client's secret reached no log line.
    expect(logLines.some((line) => line.includes(client.client_secret))).toBe(false)
  })

  it('stops a rotated, disabled or deleted client’s secret at once', async () => {
    const client = await createClient({ name: 'lifecycle', scopes: [] })
    const cc = { grant_type: 'client_credentials' }
    const admin = { authorization: asAdmin.authorization() }
    const ok = async (secret: string) =>
      (await tokenRequest(cc, { authorization: basic(client.client_id, secret) })).status

    expect(await ok(client.client_secret)).toBe(200)
    const rotated = await fetch(`${base}/admin/clients/${client.client_id}/secret`, {
      method: 'POST',
      headers: admin,
    })
    expect(rotated.status).toBe(200)
    const { client_secret: newSecret } = (await rotated.json()) as { client_secret: string }
    expect(await ok(client.client_secret)).toBe(401)
    expect(await ok(newSecret)).toBe(200)

    const disable = await fetch(`${base}/admin/clients/${client.client_id}`, {
      method: 'PATCH',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ disabled: true }),
    })
    expect(((await disable.json()) as { disabled: boolean }).disabled).toBe(true)
    expect(await ok(newSecret)).toBe(401)
    await fetch(`${base}/admin/clients/${client.client_id}`, {
      method: 'PATCH',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ disabled: false }),
    })
    expect(await ok(newSecret)).toBe(200)

    const deleted = await fetch(`${base}/admin/clients/${client.client_id}`, {
      method: 'DELETE',
      headers: admin,
    })
    expect(deleted.status).toBe(204)
    expect(await ok(newSecret)).toBe(401)
    const gone = await fetch(`${base}/admin/clients/${client.client_id}`, { headers: admin })
    expect(gone.status).toBe(404)
  })

  it('limits tokens per client with 429 rate_limited and Retry-After', async () => {
    const limited = await buildTestApp({ RATE_LIMIT_TOKEN_PER_CLIENT: '2' })
    try {
      const { client, secret } = await limited.app.clients.create(
        { name: 'busy', scopes: [], audiences: [] },
        { client: { ip: '127.0.0.1', userAgent: 't', requestId: 'r' }, actorId: null },
      )
      const request = () =>
        limited.app.inject({
          method: 'POST',
          url: '/auth/token',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: basic(client.id, secret),
          },
          payload: 'grant_type=client_credentials',
        })
      expect((await request()).statusCode).toBe(200)
      expect((await request()).statusCode).toBe(200)
      const third = await request()
      expect(third.statusCode).toBe(429)
      expect(third.json().error).toBe('rate_limited')
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0)
    } finally {
      await limited.close()
    }
  })
})

describe('the refresh_token grant', () => {
  it('rotates like /auth/token/refresh, and a spent token past the leeway ends the session', async () => {
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'clients-admin@example.com', password: PASSWORD }),
    })
    const first = ((await login.json()) as { refresh_token: string }).refresh_token
    const rotated = await tokenRequest({ grant_type: 'refresh_token', refresh_token: first })
    expect(rotated.status).toBe(200)
    const pair = (await rotated.json()) as { access_token: string; refresh_token: string }
    expect(pair.refresh_token).not.toBe(first)
    expect(decodeJwt(pair.access_token).sid).toBeTruthy()
    // JSON is accepted too.
    const json = await fetch(`${base}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: pair.refresh_token }),
    })
    expect(json.status).toBe(200)
    const next = (await json.json()) as { refresh_token: string }

    // The first token, spent past REFRESH_REUSE_LEEWAY_SECONDS, revokes the whole session: the
    // newest token dies with it.
    clock.advance(t.config.REFRESH_REUSE_LEEWAY_SECONDS + 1)
    await expectOAuthError(
      await tokenRequest({ grant_type: 'refresh_token', refresh_token: first }),
      400,
      'invalid_grant',
    )
    await expectOAuthError(
      await tokenRequest({ grant_type: 'refresh_token', refresh_token: next.refresh_token }),
      400,
      'invalid_grant',
    )
  })
})

describe('token introspection (RFC 7662)', () => {
  const introspect = (token: string, headers: Record<string, string>, extra = {}) =>
    fetch(`${base}/auth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ token, ...extra }).toString(),
    })

  it('says active with the claims for live tokens, and inactive after logout or for junk', async () => {
    const client = await createClient({
      name: 'introspector',
      scopes: ['users:read'],
      audiences: [],
    })
    const as = { authorization: basic(client.client_id, client.client_secret) }
    const discovery = await fetch(`${base}/.well-known/openid-configuration`)
    expect(
      ((await discovery.json()) as { introspection_endpoint: string }).introspection_endpoint,
    ).toBe(`${base}/auth/introspect`)

    const clientToken = (
      (await (await tokenRequest({ grant_type: 'client_credentials' }, as)).json()) as {
        access_token: string
      }
    ).access_token
    const ofClient = await introspect(clientToken, as)
    expect(ofClient.status).toBe(200)
    expect(ofClient.headers.get('cache-control')).toBe('no-store')
    expect(await ofClient.json()).toMatchObject({
      active: true,
      token_type: 'Bearer',
      sub: client.client_id,
      client_id: client.client_id,
      scope: 'users:read',
      iss: base,
    })

    const login = (await (
      await fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'clients-admin@example.com', password: PASSWORD }),
      })
    ).json()) as { access_token: string; refresh_token: string }
    const ofUser = (await (await introspect(login.access_token, as)).json()) as Record<
      string,
      unknown
    >
    expect(ofUser).toMatchObject({ active: true, role: 'admin', sid: expect.any(String) })
    // client_secret_post works too.
    const posted = await introspect(
      login.access_token,
      {},
      {
        client_id: client.client_id,
        client_secret: client.client_secret,
      },
    )
    expect(((await posted.json()) as { active: boolean }).active).toBe(true)

    const out = await fetch(`${base}/auth/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: login.refresh_token }),
    })
    expect(out.status).toBe(204)
    expect(await (await introspect(login.access_token, as)).json()).toEqual({ active: false })
    for (const junk of ['not-a-token', login.refresh_token, `${clientToken.slice(0, -3)}AAA`]) {
      expect(await (await introspect(junk, as)).json()).toEqual({ active: false })
    }
  })

  it('refuses a client that does not authenticate, or authenticates wrongly', async () => {
    const client = await createClient({ name: 'introspector-2', scopes: [], audiences: [] })
    await expectOAuthError(await introspect(adminToken, {}), 401, 'invalid_client')
    const wrong = await introspect(adminToken, {
      authorization: basic(client.client_id, `${client.client_secret}x`),
    })
    await expectOAuthError(wrong, 401, 'invalid_client')
    await expectOAuthError(
      await introspect(adminToken, { authorization: basic('no-such-client', 'secret') }),
      401,
      'invalid_client',
    )
  })
})

describe('/admin/clients', () => {
  it('is for admins only, pages the clients, and never shows a secret again', async () => {
    const user = await t.app.accountRules.createUser({ email: 'not-admin@example.com' })
    const userToken = (
      await t.app.accounts.startSession(user, { ip: '127.0.0.1', userAgent: 't', requestId: 'r' }, [
        'pwd',
      ])
    ).access_token
    expect(
      (await fetch(`${base}/admin/clients`, { headers: { authorization: `Bearer ${userToken}` } }))
        .status,
    ).toBe(403)
    expect((await fetch(`${base}/admin/clients`)).status).toBe(401)

    const page = await fetch(`${base}/admin/clients?limit=2`, {
      headers: { authorization: asAdmin.authorization() },
    })
    const body = (await page.json()) as { items: Record<string, unknown>[]; next_cursor: string }
    expect(body.items).toHaveLength(2)
    expect(body.next_cursor).toBeTruthy()
    for (const item of body.items) expect(item).not.toHaveProperty('client_secret')
    const invalid = await fetch(`${base}/admin/clients`, {
      method: 'POST',
      headers: { authorization: asAdmin.authorization(), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bad', scopes: ['has space'] }),
    })
    expect(invalid.status).toBe(400)
    expect(((await invalid.json()) as { code: string }).code).toBe('validation_failed')
  })
})
