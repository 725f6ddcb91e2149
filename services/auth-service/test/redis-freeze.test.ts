/**
 * A frozen Redis: it accepts connections and keeps them open but never answers (a hung server, a
 * silent partition). Before REDIS_COMMAND_TIMEOUT_MS a login waited on the rate limiter for as
 * long as the freeze lasted while /ready said 200. Now the limited routes answer a prompt 503
 * `service_unavailable` with Retry-After (fail closed, never unlimited), /ready answers 503
 * naming redis, and both recover by themselves once Redis answers again.
 *
 * The auth-service talks to the real Redis through a TCP proxy that can be frozen. Needs Redis
 * (TEST_REDIS_URL); skipped loudly without it unless REQUIRE_REDIS=1.
 */
import { randomBytes, randomInt } from 'node:crypto'
import { PROBLEM_CONTENT_TYPE } from '@authpair/contracts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './helper.js'
import { type FreezableProxy, startFreezableProxy } from './support/freezable-proxy.js'
import { redisReachable, TEST_REDIS_URL } from './support/redis.js'

const PASSWORD = 'lantern-orchard-quartz-9'
const email = `frozen-redis.${Date.now()}.${randomInt(1e9)}@example.com`
/** Anything slower than this is a hang, whatever the machine's load. */
const ANSWERED_WITHIN_MS = 3000

let reachable = false
let proxy: FreezableProxy | undefined
let t: TestApp | undefined

beforeAll(async () => {
  reachable = await redisReachable('the frozen-Redis tests')
  if (!reachable) return
  const target = new URL(TEST_REDIS_URL)
  proxy = await startFreezableProxy({ host: target.hostname, port: Number(target.port || 6379) })
  // Same credentials and database, through the proxy.
  const viaProxy = new URL(TEST_REDIS_URL)
  viaProxy.hostname = '127.0.0.1'
  viaProxy.port = String(proxy.port)
  t = await buildTestApp({
    REDIS_URL: viaProxy.toString(),
    RATE_LIMIT_REDIS_PREFIX: `authpair:freeze:${randomBytes(6).toString('hex')}:`,
  })
  const registered = await t.app.inject({
    method: 'POST',
    url: '/auth/register',
    payload: { email, password: PASSWORD },
  })
  expect(registered.statusCode).toBe(201)
})

afterAll(async () => {
  await t?.close()
  await proxy?.close()
})

const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`

async function timedLogin(app: TestApp) {
  const started = performance.now()
  const res = await app.app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { email, password: PASSWORD },
    remoteAddress: randomIp(),
  })
  return { res, ms: Math.round(performance.now() - started) }
}

async function timedReady(app: TestApp) {
  const started = performance.now()
  const res = await app.app.inject({ method: 'GET', url: '/ready' })
  const body = res.json() as { checks: Record<string, { ok: boolean; detail?: string }> }
  return { res, body, ms: Math.round(performance.now() - started) }
}

describe('a frozen Redis (accepts connections, never answers)', () => {
  it('signs in through the proxy while Redis answers, and /ready checks redis', async (ctx) => {
    if (!reachable || !t) return ctx.skip()
    expect((await timedLogin(t)).res.statusCode).toBe(200)
    const ready = await timedReady(t)
    expect(ready.res.statusCode).toBe(200)
    expect(ready.body.checks.redis).toEqual({ ok: true })
  })

  it('answers POST /auth/login 503 service_unavailable with Retry-After promptly, not a hang', async (ctx) => {
    if (!reachable || !t || !proxy) return ctx.skip()
    const app = t
    proxy.freeze()
    const first = await timedLogin(app)
    // More at once: each waits on its own command, none on another's.
    const more = await Promise.all([1, 2, 3, 4].map(() => timedLogin(app)))
    console.log(
      `frozen Redis: login answered ${first.res.statusCode} after ${first.ms} ms; ` +
        `4 concurrent: ${more.map((m) => `${m.res.statusCode} in ${m.ms} ms`).join(', ')} ` +
        `(REDIS_COMMAND_TIMEOUT_MS ${app.config.REDIS_COMMAND_TIMEOUT_MS})`,
    )
    for (const { res, ms } of [first, ...more]) {
      expect(res.statusCode).toBe(503)
      expect(String(res.headers['content-type'])).toContain(PROBLEM_CONTENT_TYPE)
      expect(res.json().code).toBe('service_unavailable')
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
      expect(ms).toBeLessThan(ANSWERED_WITHIN_MS)
    }
  })

  it('answers /ready 503 naming redis while it is frozen (the database is fine)', async (ctx) => {
    if (!reachable || !t || !proxy) return ctx.skip()
    expect(proxy.frozen).toBe(true)
    const ready = await timedReady(t)
    console.log(
      `frozen Redis: /ready answered ${ready.res.statusCode} after ${ready.ms} ms: ${JSON.stringify(ready.body.checks.redis)}`,
    )
    expect(ready.res.statusCode).toBe(503)
    expect(ready.body.checks.redis?.ok).toBe(false)
    expect(ready.body.checks.database).toEqual({ ok: true })
    expect(ready.ms).toBeLessThan(ANSWERED_WITHIN_MS)
  })

  it('recovers by itself once Redis answers again: /ready 200, logins 200', async (ctx) => {
    if (!reachable || !t || !proxy) return ctx.skip()
    proxy.unfreeze()
    const unfrozenAt = performance.now()
    let readyAfter: number | undefined
    while (performance.now() - unfrozenAt < 15_000) {
      if ((await timedReady(t)).res.statusCode === 200) {
        readyAfter = Math.round(performance.now() - unfrozenAt)
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const login = await timedLogin(t)
    console.log(
      `Redis unfrozen: /ready 200 after ${readyAfter ?? 'never (10 s)'} ms; ` +
        `next login ${login.res.statusCode} in ${login.ms} ms`,
    )
    expect(readyAfter, '/ready never came back').toBeDefined()
    expect(login.res.statusCode).toBe(200)
  })

  it('recovers too when the connection open during the freeze stays silent after it (replaces it)', async (ctx) => {
    if (!reachable || !t || !proxy) return ctx.skip()
    proxy.freeze()
    expect((await timedLogin(t)).res.statusCode).toBe(503)
    // Heals for new connections only: the client's connection is silent for good.
    proxy.unfreeze({ forgetExisting: true })
    const healedAt = performance.now()
    let readyAfter: number | undefined
    while (performance.now() - healedAt < 10_000) {
      if ((await timedReady(t)).res.statusCode === 200) {
        readyAfter = Math.round(performance.now() - healedAt)
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const login = await timedLogin(t)
    console.log(
      `Redis healed, old connection silent for good: /ready 200 after ${readyAfter ?? 'never (10 s)'} ms; ` +
        `next login ${login.res.statusCode} in ${login.ms} ms`,
    )
    expect(readyAfter, '/ready never came back').toBeDefined()
    expect(login.res.statusCode).toBe(200)
  })
})
