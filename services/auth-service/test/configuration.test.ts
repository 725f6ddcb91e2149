/**
 * Configuration traps of issue 21, as an operator meets them: ISSUER follows the gateway's port
 * when unset (tokens and discovery name the right origin), one DATA_DIR holds the embedded
 * database and the development key-encryption key together (so `pnpm manage` with another
 * DATA_DIR finds a matching pair instead of a new key beside the old database), and `.env` is
 * read by `pnpm manage` with the real environment winning.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeJwt } from 'jose'
import { afterAll, describe, expect, it } from 'vitest'
import { loadAuthConfig } from '../src/config.js'
import { buildTestApp, randomKek, type TestApp } from './helper.js'

const manageJs = fileURLToPath(new URL('../dist/cli/manage.js', import.meta.url))
const dirs: string[] = []
const apps: TestApp[] = []
afterAll(async () => {
  for (const t of apps) await t.close()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'authpair-config-'))
  dirs.push(dir)
  return dir
}

describe('ISSUER follows GATEWAY_PORT', () => {
  it('derives http://localhost:<GATEWAY_PORT> when ISSUER is unset; an explicit one wins', () => {
    expect(loadAuthConfig({}).ISSUER).toBe('http://localhost:8080')
    expect(loadAuthConfig({ GATEWAY_PORT: '9191' }).ISSUER).toBe('http://localhost:9191')
    expect(loadAuthConfig({ GATEWAY_PORT: '9191', ISSUER: 'https://id.example.com/' }).ISSUER).toBe(
      'https://id.example.com',
    )
  })

  it('refuses a GATEWAY_PORT that is not a port, naming it', () => {
    expect(() => loadAuthConfig({ GATEWAY_PORT: 'abc' })).toThrow(
      /^invalid configuration: GATEWAY_PORT: /,
    )
  })

  it('names the moved gateway in the discovery document and in every token', async () => {
    const t = await buildTestApp({ GATEWAY_PORT: '9191' })
    apps.push(t)
    const discovery = await t.app.inject({
      method: 'GET',
      url: '/auth/.well-known/openid-configuration',
    })
    expect(discovery.statusCode).toBe(200)
    expect(discovery.json()).toMatchObject({
      issuer: 'http://localhost:9191',
      jwks_uri: 'http://localhost:9191/auth/.well-known/jwks.json',
      token_endpoint: 'http://localhost:9191/auth/token',
    })
    const email = `moved.${Date.now()}@example.com`
    const password = 'harbor-quartz-meadow-19'
    await t.app.inject({ method: 'POST', url: '/auth/register', payload: { email, password } })
    const login = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email, password },
    })
    expect(login.statusCode).toBe(200)
    expect(decodeJwt(login.json().access_token).iss).toBe('http://localhost:9191')
  })
})

describe('DATA_DIR holds the embedded database and the key-encryption key', () => {
  it('puts the SQLite default under DATA_DIR', () => {
    const config = loadAuthConfig({ DATA_DIR: '/srv/authpair-state' })
    expect(config.DATABASE_URL).toEqual({
      dialect: 'sqlite',
      path: '/srv/authpair-state/authpair.db',
    })
    expect(loadAuthConfig({}).DATABASE_URL).toEqual({
      dialect: 'sqlite',
      path: join(process.cwd(), 'data', 'authpair.db'),
    })
  })
})

/** `pnpm manage` in `cwd`, with only PATH and `env` in its environment. */
async function manage(cwd: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [manageJs, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (c) => {
    out += c
  })
  child.stderr.on('data', (c) => {
    out += c
  })
  const [code] = await once(child, 'exit')
  return { code: code as number, out }
}

describe('pnpm manage with DATA_DIR and .env (the embedded default: SQLite)', () => {
  it('keeps the database and its key together in DATA_DIR, so keys decrypt on every run', {
    timeout: 60_000,
  }, async () => {
    const cwd = scratch()
    const state = join(cwd, 'state')
    const migrated = await manage(cwd, ['migrate'], { DATA_DIR: state })
    expect(migrated.out).toContain(`sqlite:${join(state, 'authpair.db')}`)
    expect(migrated.code).toBe(0)
    const rotated = await manage(cwd, ['keys', 'rotate'], { DATA_DIR: state })
    expect(rotated.out).toMatch(/new key \S+ published/)
    expect(existsSync(join(state, 'authpair.db'))).toBe(true)
    expect(existsSync(join(state, 'key-encryption.key'))).toBe(true)
    // Nothing was written to ./data of the working directory.
    expect(existsSync(join(cwd, 'data'))).toBe(false)

    // A second run with the same DATA_DIR reads the same key and decrypts the signing keys.
    const listed = await manage(cwd, ['keys', 'list'], { DATA_DIR: state })
    expect(listed.code, listed.out).toBe(0)
    expect(listed.out.trim().split('\n')).toHaveLength(2)

    // Another DATA_DIR is another database with its own key, never the old database under a
    // new key (which used to fail to decrypt the signing keys).
    const other = join(cwd, 'other')
    expect((await manage(cwd, ['migrate'], { DATA_DIR: other })).code).toBe(0)
    const otherList = await manage(cwd, ['keys', 'list'], { DATA_DIR: other })
    expect(otherList.code, otherList.out).toBe(0)
    expect(otherList.out.trim().split('\n')).toHaveLength(1)
    expect(existsSync(join(other, 'key-encryption.key'))).toBe(true)
  })

  it('reads .env in the working directory; a variable in the real environment wins', {
    timeout: 60_000,
  }, async () => {
    const cwd = scratch()
    writeFileSync(join(cwd, '.env'), '# development settings\nDATA_DIR=./from-env-file\n')
    const fromFile = await manage(cwd, ['migrate'])
    expect(fromFile.code, fromFile.out).toBe(0)
    expect(fromFile.out).toContain(`sqlite:${join(cwd, 'from-env-file', 'authpair.db')}`)

    const real = await manage(cwd, ['migrate'], { DATA_DIR: './from-real-env' })
    expect(real.code, real.out).toBe(0)
    expect(real.out).toContain(`sqlite:${join(cwd, 'from-real-env', 'authpair.db')}`)

    // Production never reads the file: the default ./data is used.
    const production = await manage(cwd, ['migrate'], {
      NODE_ENV: 'production',
      SMTP_URL: 'smtp://127.0.0.1:1',
      KEY_ENCRYPTION_KEY: randomKek(),
    })
    expect(production.code, production.out).toBe(0)
    expect(production.out).toContain(`sqlite:${join(cwd, 'data', 'authpair.db')}`)
  })
})
