/**
 * `pnpm start` as a newcomer runs it: the launcher process in an empty working directory, no
 * configuration but free ports (and, on the PostgreSQL run, DATABASE_URL). It must migrate,
 * bring up both services and the gateway, answer the README's curl commands, and stop
 * everything on Ctrl-C (SIGINT).
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  createTestDatabase,
  dropTestServerDatabase,
  TEST_POSTGRES_URL,
  type TestDatabase,
  testDialect,
} from '@authpair/db/testing'
import { freePort } from '@authpair/service-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const mainJs = fileURLToPath(new URL('../dist/main.js', import.meta.url))

let cwd: string
let database: TestDatabase | undefined
beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'authpair-start-'))
  // SQLite: the embedded default under ./data/, migrated by the launcher itself. PostgreSQL:
  // an empty database (createTestDatabase migrates it; the launcher's migrate then applies 0).
  if (testDialect() === 'postgres') database = await createTestDatabase()
})
afterAll(async () => {
  await database?.drop()
  rmSync(cwd, { recursive: true, force: true })
})

describe(`pnpm start on ${testDialect()}`, () => {
  it('brings the system up on one port and stops it cleanly on Ctrl-C', {
    timeout: 60_000,
  }, async () => {
    const [gatewayPort, authPort, usersPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ]
    const child = spawn(process.execPath, [mainJs], {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        GATEWAY_PORT: String(gatewayPort),
        AUTH_PORT: String(authPort),
        USERS_PORT: String(usersPort),
        LOG_LEVEL: 'warn',
        ...(database ? { DATABASE_URL: database.url } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    const exited = once(child, 'exit')

    const base = `http://localhost:${gatewayPort}`
    for (let i = 0; i < 300 && !output.includes('gateway ready'); i++) {
      if (child.exitCode !== null) break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(output).toContain('gateway ready')

    const jwks = await fetch(`${base}/.well-known/jwks.json`)
    expect(jwks.status).toBe(200)
    const { keys } = (await jwks.json()) as { keys: { kid: string }[] }
    expect(keys.length).toBe(1)

    const me = await fetch(`${base}/users/me`)
    expect(me.status).toBe(401)
    expect(me.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(((await me.json()) as { code: string }).code).toBe('unauthorized')

    const docs = await fetch(`${base}/auth/docs/`)
    expect(docs.status).toBe(200)
    expect(await docs.text()).toContain('swagger-ui')
    expect((await fetch(`${base}/users/docs/json`)).status).toBe(200)

    if (!database) expect(existsSync(join(cwd, 'data', 'authpair.db'))).toBe(true)

    // The credential flow end to end, through the gateway and real processes.
    const json = (path: string, body: unknown, token?: string) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': '203.0.113.66', // a client's claim: must not be what is recorded
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      })
    const account = { email: 'e2e@example.com', password: 'saffron-glacier-piano' }
    expect((await json('/auth/register', account)).status).toBe(201)
    const login = await json('/auth/login', account)
    expect(login.status).toBe(200)
    const pair = (await login.json()) as { access_token: string; refresh_token: string }
    const profile = await fetch(`${base}/users/me`, {
      headers: { authorization: `Bearer ${pair.access_token}` },
    })
    expect(profile.status).toBe(200)
    expect(((await profile.json()) as { email: string }).email).toBe('e2e@example.com')
    const refreshed = await json('/auth/token/refresh', { refresh_token: pair.refresh_token })
    expect(refreshed.status).toBe(200)
    const next = (await refreshed.json()) as { access_token: string; refresh_token: string }
    const sessions = await fetch(`${base}/auth/sessions`, {
      headers: { authorization: `Bearer ${next.access_token}` },
    })
    const items = ((await sessions.json()) as { items: { ip: string; current: boolean }[] }).items
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({ current: true })
    expect(items[0]?.ip).not.toBe('203.0.113.66')
    expect((await json('/auth/logout', { refresh_token: next.refresh_token })).status).toBe(204)
    expect((await json('/auth/token/refresh', { refresh_token: next.refresh_token })).status).toBe(
      401,
    )

    child.kill('SIGINT')
    const [code] = await exited
    expect(code).toBe(0)
    expect(output).toContain('launcher: stopped')
    // Nothing is left listening.
    for (const port of [gatewayPort, authPort, usersPort]) {
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow()
    }
  })
})

describe(`pnpm start configured by .env on ${testDialect()}`, () => {
  const envCwd = mkdtempSync(join(tmpdir(), 'authpair-start-env-'))
  // PostgreSQL: a database nobody has created (the README's command); the launcher makes it.
  const missingDatabase = `authpair_start_${randomBytes(5).toString('hex')}`
  afterAll(async () => {
    rmSync(envCwd, { recursive: true, force: true })
    if (testDialect() === 'postgres') await dropTestServerDatabase(missingDatabase)
  })

  it('reads .env, names the moved gateway as the issuer, keeps its state in DATA_DIR', {
    timeout: 60_000,
  }, async () => {
    const [gatewayPort, authPort, usersPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ]
    const databaseUrl = (() => {
      const url = new URL(TEST_POSTGRES_URL)
      url.pathname = `/${missingDatabase}`
      return url.toString()
    })()
    writeFileSync(
      join(envCwd, '.env'),
      [
        '# what a developer writes once',
        `GATEWAY_PORT=${gatewayPort}`,
        `AUTH_PORT=${authPort}`,
        'USERS_PORT=1', // the real environment's value below wins
        'DATA_DIR=./state',
        'LOG_LEVEL=info',
        ...(testDialect() === 'postgres' ? [`DATABASE_URL=${databaseUrl}`] : []),
        '',
      ].join('\n'),
    )
    const child = spawn(process.execPath, [mainJs], {
      cwd: envCwd,
      env: { PATH: process.env.PATH ?? '', USERS_PORT: String(usersPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    const exited = once(child, 'exit')
    try {
      for (let i = 0; i < 300 && !output.includes('gateway ready'); i++) {
        if (child.exitCode !== null) break
        await new Promise((r) => setTimeout(r, 100))
      }
      expect(output).toContain('gateway ready')
      expect(output).toContain('launcher: read .env')
      const issuer = `http://localhost:${gatewayPort}`
      expect(output).toContain(`launcher:   issuer    ${issuer}`)

      const base = `http://localhost:${gatewayPort}`
      const discovery = await fetch(`${base}/.well-known/openid-configuration`)
      expect(((await discovery.json()) as { issuer: string }).issuer).toBe(issuer)

      // A token the auth-service issued under the derived issuer is one the users-service
      // (which derived the same) accepts.
      const post = (path: string, body: unknown) =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      const account = { email: 'dotenv@example.com', password: 'amber-trellis-orbit-52' }
      expect((await post('/auth/register', account)).status).toBe(201)
      const login = await post('/auth/login', account)
      const { access_token } = (await login.json()) as { access_token: string }
      const payload = JSON.parse(
        Buffer.from(access_token.split('.')[1] ?? '', 'base64url').toString(),
      ) as { iss: string }
      expect(payload.iss).toBe(issuer)
      const me = await fetch(`${base}/users/me`, {
        headers: { authorization: `Bearer ${access_token}` },
      })
      expect(me.status).toBe(200)

      // Each service names its database and issuer once it listens (JSON: not a terminal).
      const database =
        testDialect() === 'postgres'
          ? databaseUrl
          : `sqlite:${join(envCwd, 'state', 'authpair.db')}`
      for (const service of ['auth-service', 'users-service']) {
        expect(output).toContain(
          `"msg":"${service} started: database ${database}, issuer ${issuer}"`,
        )
      }
      // Both files of the embedded default live in DATA_DIR; nothing in ./data.
      expect(existsSync(join(envCwd, 'state', 'key-encryption.key'))).toBe(true)
      if (testDialect() === 'sqlite') {
        expect(existsSync(join(envCwd, 'state', 'authpair.db'))).toBe(true)
      } else {
        expect(output).toContain(`launcher: created the database ${databaseUrl}`)
      }
      expect(existsSync(join(envCwd, 'data'))).toBe(false)
    } finally {
      child.kill('SIGINT')
      await exited
    }
  })
})
