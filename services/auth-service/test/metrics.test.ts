/**
 * /metrics as an operator's dashboard reads it (issue 21): prom-client's process defaults under
 * their standard names, and the security counters moving when what they count happens: failed
 * sign-ins by reason, rate-limited requests by route, refresh-token reuse, mail deliveries by
 * outcome.
 */
import { randomInt } from 'node:crypto'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signInMetrics } from '../src/accounts/sign-in-metrics.js'
import { buildTestApp, type TestApp } from './helper.js'
import { type SmtpSink, startSmtpSink } from './support/smtp-sink.js'

const PASSWORD = 'juniper-lantern-harbor-31'
let n = 0
const uniqueEmail = () => `metrics${++n}.${Date.now()}.${randomInt(1e9)}@example.com`
const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`

/** The value of one series (exact labels as rendered), or 0 when it has not been written yet. */
async function series(t: TestApp, name: string, labels = ''): Promise<number> {
  const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `))
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0
}

const apps: TestApp[] = []
let smtp: SmtpSink
beforeAll(async () => {
  smtp = await startSmtpSink()
})
afterAll(async () => {
  for (const t of apps) await t.close()
  await smtp?.stop()
})
async function app(env: Record<string, string> = {}) {
  const t = await buildTestApp(env)
  apps.push(t)
  return t
}

async function register(t: TestApp, email = uniqueEmail()) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/auth/register',
    payload: { email, password: PASSWORD },
  })
  expect(res.statusCode).toBe(201)
  return email
}

const login = (t: TestApp, email: string, password: string, ip = '127.0.0.1') =>
  t.app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { email, password },
    remoteAddress: ip,
  })

describe('process metrics', () => {
  it('uses the standard prom-client names, unprefixed, in two apps of one process', async () => {
    // Two auth-services in this one process: each has its own registry, so both expose the
    // standard names (a shared registry would refuse the second set as already registered).
    const [first, second] = [await app(), await app()]
    for (const t of [first, second]) {
      const body = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
      expect(body).toMatch(/^process_resident_memory_bytes \d+/m)
      expect(body).toMatch(/^process_cpu_seconds_total \S+/m)
      expect(body).toMatch(/^nodejs_eventloop_lag_seconds \S+/m)
      expect(body).toMatch(/^nodejs_heap_size_used_bytes \d+/m)
      expect(body).not.toContain('auth_process_')
      expect(body).not.toContain('auth_nodejs_')
      // the service's own metrics keep their prefix
      expect(body).toContain('# TYPE auth_http_request_duration_seconds histogram')
    }
  })
})

describe('auth_login_failures_total{reason}', () => {
  it('counts a wrong password and an unknown address, each under its reason', async () => {
    const t = await app()
    const email = await register(t)
    expect(await series(t, 'auth_login_failures_total', 'reason="wrong_password"')).toBe(0)

    expect((await login(t, email, 'not-the-password-at-all')).statusCode).toBe(401)
    expect((await login(t, email, 'still-not-the-password')).statusCode).toBe(401)
    expect((await login(t, uniqueEmail(), PASSWORD)).statusCode).toBe(401)

    expect(await series(t, 'auth_login_failures_total', 'reason="wrong_password"')).toBe(2)
    expect(await series(t, 'auth_login_failures_total', 'reason="unknown_email"')).toBe(1)
    // a successful sign-in counts nothing
    expect((await login(t, email, PASSWORD)).statusCode).toBe(200)
    expect(await series(t, 'auth_login_failures_total', 'reason="wrong_password"')).toBe(2)
  })

  it('counts a right password refused by the account rules under the problem code', async () => {
    const t = await app({ REQUIRE_EMAIL_VERIFICATION: 'true' })
    const email = await register(t)
    const res = await login(t, email, PASSWORD)
    expect(res.statusCode).toBe(403)
    expect(res.json().code).toBe('email_not_verified')
    expect(await series(t, 'auth_login_failures_total', 'reason="email_not_verified"')).toBe(1)
  })

  it('maps second-factor and passkey failures, and keeps labels bounded', () => {
    const registry = new Registry()
    const observe = signInMetrics(registry)
    observe('mfa_failed', { method: 'totp', failures: 1 })
    observe('passkey_sign_in_failed', { reason: 'unknown_credential' })
    observe('login_failed', { reason: 'Not A Code; DROP TABLE' })
    observe('login_failed', undefined)
    observe('login_succeeded', undefined)
    return registry.getSingleMetricAsString('auth_login_failures_total').then((text) => {
      expect(text).toContain('auth_login_failures_total{reason="invalid_mfa_code"} 1')
      expect(text).toContain('auth_login_failures_total{reason="passkey_unknown_credential"} 1')
      expect(text).toContain('auth_login_failures_total{reason="other"} 2')
      expect(text.match(/^auth_login_failures_total\{/gm)).toHaveLength(3)
    })
  })
})

describe('auth_rate_limited_total{route}', () => {
  it('counts each 429 under the route pattern that refused it', async () => {
    const t = await app({ RATE_LIMIT_LOGIN_PER_IP: '2' })
    const ip = randomIp()
    for (let i = 0; i < 2; i++) {
      expect((await login(t, uniqueEmail(), 'wrong-password-here', ip)).statusCode).toBe(401)
    }
    expect(await series(t, 'auth_rate_limited_total', 'route="/auth/login"')).toBe(0)
    for (let i = 0; i < 3; i++) {
      expect((await login(t, uniqueEmail(), 'wrong-password-here', ip)).statusCode).toBe(429)
    }
    expect(await series(t, 'auth_rate_limited_total', 'route="/auth/login"')).toBe(3)
    // refused before any password check: not a failed sign-in by reason
    expect(await series(t, 'auth_login_failures_total', 'reason="unknown_email"')).toBe(2)
  })
})

describe('auth_refresh_token_reuse_total', () => {
  it('counts a rotated refresh token presented again (its session is revoked)', async () => {
    const t = await app({ REFRESH_REUSE_LEEWAY_SECONDS: '0' })
    const email = await register(t)
    const signedIn = await login(t, email, PASSWORD)
    expect(signedIn.statusCode).toBe(200)
    const first = signedIn.json().refresh_token as string
    const refresh = (token: string) =>
      t.app.inject({
        method: 'POST',
        url: '/auth/token/refresh',
        payload: { refresh_token: token },
      })
    const rotated = await refresh(first)
    expect(rotated.statusCode).toBe(200)
    expect(await series(t, 'auth_refresh_token_reuse_total')).toBe(0)

    const replayed = await refresh(first)
    expect(replayed.statusCode).toBe(401)
    expect(replayed.json().code).toBe('invalid_refresh_token')
    expect(await series(t, 'auth_refresh_token_reuse_total')).toBe(1)
    // an unknown token is not reuse
    expect((await refresh('x'.repeat(43))).statusCode).toBe(401)
    expect(await series(t, 'auth_refresh_token_reuse_total')).toBe(1)
  })
})

describe('auth_mail_deliveries_total{outcome,kind}', () => {
  it('counts a delivered mail as sent', async () => {
    const t = await app({ SMTP_URL: smtp.url, OUTBOX_WORKER_ENABLED: 'false' })
    const email = await register(t)
    expect(await t.app.outbox.tick()).toBe(1)
    await smtp.waitFor(1, email)
    expect(
      await series(t, 'auth_mail_deliveries_total', 'outcome="sent",kind="email_verify"'),
    ).toBe(1)
    expect(
      await series(t, 'auth_mail_deliveries_total', 'outcome="failed",kind="email_verify"'),
    ).toBe(0)
  })

  it('counts an attempt the SMTP server refused as failed', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const t = await app({ SMTP_URL: 'smtp://127.0.0.1:1', OUTBOX_WORKER_ENABLED: 'false' })
    await register(t)
    await t.app.outbox.tick()
    expect(
      await series(t, 'auth_mail_deliveries_total', 'outcome="failed",kind="email_verify"'),
    ).toBe(1)
    expect(
      await series(t, 'auth_mail_deliveries_total', 'outcome="sent",kind="email_verify"'),
    ).toBe(0)
  })
})
