/**
 * Both services as real processes on one database. The auth-service is stopped, keys rotate
 * while it is down, and the users-service has to cope with its cached JWKS.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTestDatabase, type TestDatabase } from '@authpair/db/testing'
import { freePort } from '@authpair/service-kit/testing'
import { generateKeyPair, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The entry points the images start (each service's Dockerfile CMD), built by `pnpm build`.
const services = new URL('../../services/', import.meta.url)
const authJs = fileURLToPath(new URL('auth-service/dist/server.js', services))
const manageJs = fileURLToPath(new URL('auth-service/dist/cli/manage.js', services))
const usersJs = fileURLToPath(new URL('users-service/dist/server.js', services))

let database: TestDatabase
let dataDir: string
let authPort: number
let usersPort: number
const running: ChildProcess[] = []

const authEnv = () => ({
  PATH: process.env.PATH ?? '',
  LOG_LEVEL: 'warn',
  DATABASE_URL: database.url,
  DATA_DIR: dataDir,
  KEY_ENCRYPTION_KEY: 'x'.repeat(43),
  PORT: String(authPort),
  KEY_ROTATION_LEAD_SECONDS: '0',
})

async function start(
  script: string,
  env: Record<string, string>,
  port: number,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'ignore', 'inherit'] })
  running.push(child)
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return child
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`${script} did not start`)
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return
  child.kill('SIGTERM')
  await once(child, 'exit')
}

const authUrl = () => `http://127.0.0.1:${authPort}`
const me = (token: string) =>
  fetch(`http://127.0.0.1:${usersPort}/users/me`, { headers: { authorization: `Bearer ${token}` } })

async function signIn(email: string): Promise<string> {
  const body = JSON.stringify({ email, password: 'harbor-quartz-meadow-5' })
  const headers = { 'content-type': 'application/json' }
  await fetch(`${authUrl()}/auth/register`, { method: 'POST', headers, body })
  const res = await fetch(`${authUrl()}/auth/login`, { method: 'POST', headers, body })
  expect(res.status).toBe(200)
  return ((await res.json()) as { access_token: string }).access_token
}

async function jwksFetches(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${usersPort}/metrics`)).text()
  return [...text.matchAll(/^users_jwks_fetches_total\{[^}]*\} (\d+)/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  )
}

let stranger: Awaited<ReturnType<typeof generateKeyPair>> | undefined

/** A well-formed token signed by a key that is not ours, under any kid. */
async function forged(kid: string): Promise<string> {
  stranger ??= await generateKeyPair('RS256')
  const { privateKey } = stranger
  return new SignJWT({ sid: 's', role: 'admin' })
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt' })
    .setIssuer('http://localhost:8080')
    .setAudience('authpair-api')
    .setSubject('someone')
    .setIssuedAt()
    .setJti('j')
    .setExpirationTime('5m')
    .sign(privateKey)
}

beforeAll(async () => {
  database = await createTestDatabase()
  dataDir = mkdtempSync(join(tmpdir(), 'authpair-procs-'))
  authPort = await freePort()
  usersPort = await freePort()
})
afterAll(async () => {
  for (const child of running) await stop(child)
  await database?.drop()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('users-service with the auth-service down', () => {
  it('keeps verifying on cached keys, refuses forgeries, and picks up a rotated key', {
    timeout: 60_000,
  }, async () => {
    let auth = await start(authJs, authEnv(), authPort)
    await start(
      usersJs,
      {
        PATH: process.env.PATH ?? '',
        LOG_LEVEL: 'warn',
        DATABASE_URL: database.url,
        PORT: String(usersPort),
        JWKS_URL: `${authUrl()}/auth/.well-known/jwks.json`,
        JWKS_UNKNOWN_KID_COOLDOWN_MS: '200',
      },
      usersPort,
    )
    const token = await signIn('steady@example.com')
    expect((await me(token)).status).toBe(200)
    const oldKid = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()).kid

    await stop(auth)
    console.log('injected: auth-service stopped (SIGTERM)')
    expect((await me(token)).status).toBe(200)
    expect((await me(await forged(oldKid))).status).toBe(401)

    // Rotate while it is down (the CLI works on the database), then bring it back.
    const rotate = spawn(process.execPath, [manageJs, 'keys', 'rotate'], {
      env: authEnv(),
      stdio: 'ignore',
    })
    expect((await once(rotate, 'exit'))[0]).toBe(0)
    auth = await start(authJs, authEnv(), authPort)
    const rotated = await signIn('rotated@example.com')
    const newKid = JSON.parse(Buffer.from(rotated.split('.')[0] ?? '', 'base64url').toString()).kid
    expect(newKid).not.toBe(oldKid)
    await new Promise((r) => setTimeout(r, 250)) // past the users-service's unknown-kid cool-down
    const before = await jwksFetches()
    expect((await me(rotated)).status).toBe(200)
    expect(await jwksFetches()).toBe(before + 1)
    // the old key is retired but still published: tokens it signed keep working
    expect((await me(token)).status).toBe(200)
  })

  it('spends at most a handful of JWKS fetches on 1,000 requests with random kids', {
    timeout: 60_000,
  }, async () => {
    const before = await jwksFetches()
    const tokens = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        forged(`random-${i}-${Math.random().toString(36).slice(2)}`),
      ),
    )
    const statuses: number[] = []
    const started = performance.now()
    for (let i = 0; i < tokens.length; i += 50) {
      const batch = await Promise.all(
        tokens.slice(i, i + 50).map((t) => me(t).then((r) => r.status)),
      )
      statuses.push(...batch)
    }
    const elapsedMs = performance.now() - started
    const fetched = (await jwksFetches()) - before
    // At most one refetch per cool-down (200 ms here; the default 30 s would allow one), however
    // long a loaded machine takes to send the flood: a thousand kids, not a thousand fetches.
    const allowed = Math.ceil(elapsedMs / 200) + 1
    console.log(
      `kid flood through users-service: 1000 requests in ${Math.round(elapsedMs)} ms, ${fetched} JWKS fetches (at most ${allowed})`,
    )
    expect(statuses.every((s) => s === 401)).toBe(true)
    expect(fetched).toBeLessThanOrEqual(allowed)
    expect(fetched).toBeLessThan(50)
  })
})
