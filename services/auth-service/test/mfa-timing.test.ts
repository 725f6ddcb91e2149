/**
 * A wrong second-factor code and a right one, against an mfa_token, take similar time: the
 * code is compared in constant time (otpauth's timingSafeEqual over every step of the window)
 * and both answers do their bookkeeping before they are sent. Against the real server process
 * (as test/timing.test.ts explains, a client in the same process would time the service's
 * after-the-answer work), samples interleaved.
 *
 * Each sample is a fresh user (a code is accepted once per step, so one user cannot give forty
 * right codes in a minute) who signs in with the password for an mfa_token, then sends a wrong
 * code and the right one with it. The right answer also starts a session and signs an access
 * token, which the wrong one does not, so the band is the login test's: medians within
 * 0.5x–2x (measured in full-suite runs beside other engineers' tests: SQLite 5.5 vs 6.3 ms,
 * 1.14; PostgreSQL 30.2 vs 51.2 ms, 1.69, where the session's INSERTs are round trips).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTestDatabase, type TestDatabase } from '@authpair/db/testing'
import { freePort, type ServiceProcess, startServiceProcess } from '@authpair/service-kit/testing'
import { type TOTP, URI } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomKek } from './helper.js'

let database: TestDatabase
let dataDir: string
let service: ServiceProcess
let base: string
beforeAll(async () => {
  database = await createTestDatabase()
  dataDir = mkdtempSync(join(tmpdir(), 'authpair-mfa-timing-'))
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
    },
  })
  base = service.url
})
afterAll(async () => {
  await service?.stop()
  await database?.drop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

const PASSWORD = 'copper-lantern-orchard-77'

async function call(path: string, body: unknown, token?: string) {
  const started = process.hrtime.bigint()
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  })
  // biome-ignore lint/suspicious/noExplicitAny: read field by field
  const json = (await res.json().catch(() => null)) as any
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, status: res.status, json }
}

/** The code of the next step: after the one that confirmed the app, inside the window. */
const nextCode = (app: TOTP) => app.generate({ timestamp: Date.now() + 30_000 })
/** Right length, wrong digits: the next code with every digit moved by five. */
const wrongCode = (app: TOTP) =>
  [...nextCode(app)].map((d) => String((Number(d) + 5) % 10)).join('')

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

describe('timing', () => {
  it('a wrong second-factor code takes as long as the right one (medians within 0.5x–2x)', async () => {
    const right: number[] = []
    const wrong: number[] = []
    for (let i = 0; i < 30; i++) {
      const email = `mfa-timing-${i}@example.com`
      expect((await call('/auth/register', { email, password: PASSWORD })).status).toBe(201)
      const login = await call('/auth/login', { email, password: PASSWORD })
      const token = login.json.access_token as string
      const setup = await call('/auth/mfa/totp/setup', {}, token)
      const app = URI.parse(setup.json.otpauth_uri) as TOTP
      const confirm = await call(
        '/auth/mfa/totp/confirm',
        { code: app.generate({ timestamp: Date.now() }) },
        token,
      )
      expect(confirm.status).toBe(200)
      const first = await call('/auth/login', { email, password: PASSWORD })
      expect(first.status).toBe(403)
      const mfa_token = first.json.mfa_token as string
      const a = await call('/auth/mfa/verify', { mfa_token, method: 'totp', code: wrongCode(app) })
      const b = await call('/auth/mfa/verify', { mfa_token, method: 'totp', code: nextCode(app) })
      expect([a.status, b.status]).toEqual([401, 200])
      wrong.push(a.ms)
      right.push(b.ms)
    }
    const [w, r] = [median(wrong), median(right)]
    console.log(
      `[timing] ${process.env.TEST_DB ?? 'sqlite'}: mfa/verify, wrong vs right code: ${wrong.length}+${right.length} samples, median wrong ${w.toFixed(2)} ms, right ${r.toFixed(2)} ms, ratio ${(r / w).toFixed(2)}`,
    )
    expect(r / w).toBeGreaterThan(0.5)
    expect(r / w).toBeLessThan(2)
  })
})
