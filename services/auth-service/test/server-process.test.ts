/**
 * The real entry point, as a process: bad configuration stops it with one readable line and a
 * non-zero exit; SIGTERM lets it finish and exit 0. Runs the compiled dist/server.js (the
 * README's test command builds first).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTestDatabase, type TestDatabase } from '@authpair/db/testing'
import { freePort } from '@authpair/service-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomKek } from './helper.js'

const serverJs = fileURLToPath(new URL('../dist/server.js', import.meta.url))
let database: TestDatabase
let dataDir: string
// One key-encryption key for the file: every start shares the database and its stored keys.
const kek = randomKek()

beforeAll(async () => {
  database = await createTestDatabase()
  dataDir = mkdtempSync(join(tmpdir(), 'authpair-proc-'))
})
afterAll(async () => {
  await database?.drop()
  rmSync(dataDir, { recursive: true, force: true })
})

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [serverJs], {
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      KEY_ENCRYPTION_KEY: kek,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const exited = once(child, 'exit').then(([code]) => ({
    code: code as number | null,
    stdout,
    stderr,
  }))
  return { child, exited }
}

describe('auth-service process', () => {
  it.each([
    [{ PORT: 'eighty' }, /^auth-service: invalid configuration: PORT: must be a port number/],
    [{ PORT: '70000' }, /^auth-service: invalid configuration: PORT: must be between 0 and 65535/],
    [
      { DATABASE_URL: 'mysql://db/auth' },
      /^auth-service: invalid configuration: DATABASE_URL: scheme "mysql" is not supported/,
    ],
    [
      { NODE_ENV: 'production', KEY_ENCRYPTION_KEY: '', SMTP_URL: 'smtp://mail.internal:587' },
      /^auth-service: invalid configuration: KEY_ENCRYPTION_KEY: is required in production/,
    ],
    [
      { NODE_ENV: 'production' },
      /^auth-service: invalid configuration: SMTP_URL: is required in production/,
    ],
    [{ TRUST_PROXY: 'true' }, /^auth-service: invalid configuration: TRUST_PROXY/],
  ])('stops with one readable line for %o', async (env, message) => {
    const { code, stderr } = await start(env).exited
    expect(code).toBe(1)
    const lines = stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(message)
    expect(stderr).not.toMatch(/\bat .+:\d+:\d+/) // no stack trace
  })

  it('stops with one line when the port is taken', async () => {
    const blocker = createServer().listen(0, '127.0.0.1')
    await once(blocker, 'listening')
    const { port } = blocker.address() as { port: number }
    try {
      const { code, stderr } = await start({ PORT: String(port) }).exited
      expect(code).toBe(1)
      expect(stderr.trim()).toBe(
        `auth-service: cannot listen on 127.0.0.1:${port}: the address is already in use`,
      )
    } finally {
      blocker.close()
    }
  })

  it('stops with one line when the database was never migrated', async () => {
    const { code, stderr } = await start({ DATABASE_URL: join(dataDir, 'empty.db') }).exited
    expect(code).toBe(1)
    expect(stderr.trim()).toBe(
      'auth-service: cannot start: the database has no tables: apply the migrations first (pnpm db:migrate)',
    )
  })

  it('serves, then on SIGTERM closes cleanly with exit 0', { timeout: 20_000 }, async () => {
    const port = await freePort()
    const { child, exited } = start({ PORT: String(port), LOG_LEVEL: 'info' })
    let log = ''
    child.stdout.on('data', (chunk) => {
      log += chunk
    })
    for (let i = 0; i < 300 && !log.includes('Server listening'); i++) {
      if (child.exitCode !== null) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const health = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.status,
      (error: Error) => error.message,
    )
    expect(health, log).toBe(200)
    child.kill('SIGTERM')
    const { code, stdout } = await exited
    expect(code).toBe(0)
    expect(stdout).toContain('shutting down: finishing in-flight requests')
  })
})
