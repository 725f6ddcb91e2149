/**
 * Account enumeration by timing: login and password/forgot for an unknown email against a known
 * one, against the real server process (a client in the same process would share its event
 * loop and time the service's after-the-answer work as if it were the answer), samples
 * interleaved so drift on a shared machine hits both kinds alike. Each test prints its medians
 * and ratio.
 *
 * The bands are stated, not tuned to pass: a login for an unknown email pays a dummy argon2id
 * verification (~20 ms), so the medians agree within 0.5x–2x (measured alone: 0.9–1.1; without
 * the dummy work it would be ~0.05). password/forgot answers 202 before any lookup (the known
 * email's lookup, token and outbox row run after the answer), so its medians agree within
 * 0.75x–1.33x or 0.25 ms (measured alone 0.93–1.02, with three busy loops beside it 0.89–1.08;
 * a client inside the service's own process, which does see that work, measured 0.66–0.71).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTestDatabase, type TestDatabase } from '@authpair/db/testing'
import { freePort, type ServiceProcess, startServiceProcess } from '@authpair/service-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomKek } from './helper.js'

let database: TestDatabase
let dataDir: string
let service: ServiceProcess
let base: string
beforeAll(async () => {
  database = await createTestDatabase()
  dataDir = mkdtempSync(join(tmpdir(), 'authpair-timing-'))
  const limit = '1000000'
  service = await startServiceProcess({
    script: fileURLToPath(new URL('../dist/server.js', import.meta.url)),
    port: await freePort(),
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      KEY_ENCRYPTION_KEY: randomKek(),
      RATE_LIMIT_LOGIN_PER_IP: limit,
      RATE_LIMIT_LOGIN_PER_ACCOUNT: limit,
      RATE_LIMIT_LOGIN_PER_ACCOUNT_IP: limit,
      RATE_LIMIT_REGISTER_PER_IP: limit,
      RATE_LIMIT_FORGOT_PER_IP: limit,
      RATE_LIMIT_FORGOT_PER_EMAIL: limit,
      RATE_LIMIT_FORGOT_PER_EMAIL_IP: limit,
    },
  })
  base = service.url
})
afterAll(async () => {
  await service?.stop()
  await database?.drop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

const PASSWORD = 'quiet-harbor-lantern-19'

async function timed(path: string, body: unknown): Promise<{ ms: number; status: number }> {
  const started = process.hrtime.bigint()
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  await res.arrayBuffer()
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, status: res.status }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

function report(what: string, known: number[], unknown: number[]) {
  const [k, u] = [median(known), median(unknown)]
  console.log(
    `[timing] ${process.env.TEST_DB ?? 'sqlite'}: ${what}: ${known.length}+${unknown.length} samples, median known ${k.toFixed(2)} ms, unknown ${u.toFixed(2)} ms, ratio ${(u / k).toFixed(2)}`,
  )
  return { known: k, unknown: u }
}

describe('timing', () => {
  it('login: an unknown email takes as long as a wrong password (medians within 0.5x–2x)', async () => {
    const email = 'timing-login@example.com'
    expect((await timed('/auth/register', { email, password: PASSWORD })).status).toBe(201)
    const known: number[] = []
    const unknown: number[] = []
    for (let i = 0; i < 40; i++) {
      const a = await timed('/auth/login', { email, password: 'not-the-password' })
      const b = await timed('/auth/login', {
        email: `nobody${i}@example.com`,
        password: 'not-the-password',
      })
      expect([a.status, b.status]).toEqual([401, 401])
      known.push(a.ms)
      unknown.push(b.ms)
    }
    const m = report('login, wrong password vs unknown email', known, unknown)
    expect(m.unknown / m.known).toBeGreaterThan(0.5)
    expect(m.unknown / m.known).toBeLessThan(2)
  })

  it('password/forgot: an unknown email answers like a known one (medians within 0.75x–1.33x)', async () => {
    const email = 'timing-forgot@example.com'
    expect((await timed('/auth/register', { email, password: PASSWORD })).status).toBe(201)
    const known: number[] = []
    const unknown: number[] = []
    for (let i = 0; i < 200; i++) {
      // Alternate which goes first, so neither kind always follows the other's work.
      const knownFirst = i % 2 === 0
      const other = { email: `nobody${i}@example.com` }
      const first = await timed('/auth/password/forgot', knownFirst ? { email } : other)
      const second = await timed('/auth/password/forgot', knownFirst ? other : { email })
      const [a, b] = knownFirst ? [first, second] : [second, first]
      expect([a.status, b.status]).toEqual([202, 202])
      known.push(a.ms)
      unknown.push(b.ms)
    }
    const m = report('password/forgot, known vs unknown email', known, unknown)
    const ratio = m.unknown / m.known
    const close = Math.abs(m.unknown - m.known) < 0.25 || (ratio > 0.75 && ratio < 1.33)
    expect(close, `medians ${m.known.toFixed(2)} vs ${m.unknown.toFixed(2)} ms`).toBe(true)
  })
})
