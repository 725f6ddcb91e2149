import { randomInt } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './helper.js'
import { redisReachable, TEST_REDIS_URL } from './support/redis.js'
import { startSmtpSink, tokenFrom } from './support/smtp-sink.js'

const REDIS_URL = TEST_REDIS_URL
const apps: TestApp[] = []
afterAll(async () => {
  for (const t of apps) await t.close()
})

/** A client address no other test (or earlier run sharing Redis) has used. */
const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`
let n = 0
const uniqueEmail = () => `limited${++n}.${Date.now()}.${randomInt(1e9)}@example.com`

async function app(env: Record<string, string>) {
  const t = await buildTestApp(env)
  apps.push(t)
  return t
}

function login(t: TestApp, email: string, ip: string, headers: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { email, password: 'wrong-password-here' },
    remoteAddress: ip,
    headers,
  })
}

describe('brute-force limits (in memory)', () => {
  it('limits logins per client address with 429 problem+json and Retry-After', async () => {
    const t = await app({ RATE_LIMIT_LOGIN_PER_IP: '3' })
    const ip = randomIp()
    for (let i = 0; i < 3; i++) expect((await login(t, uniqueEmail(), ip)).statusCode).toBe(401)
    const limited = await login(t, uniqueEmail(), ip)
    expect(limited.statusCode).toBe(429)
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(limited.json().code).toBe('rate_limited')
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    // another address is not affected
    expect((await login(t, uniqueEmail(), randomIp())).statusCode).toBe(401)
  })

  it('limits logins per account whatever address they come from', async () => {
    const t = await app({ RATE_LIMIT_LOGIN_PER_ACCOUNT: '2' })
    const email = uniqueEmail()
    expect((await login(t, email, randomIp())).statusCode).toBe(401)
    expect((await login(t, email.toUpperCase(), randomIp())).statusCode).toBe(401)
    expect((await login(t, email, randomIp())).statusCode).toBe(429)
  })

  it('is not fooled by X-Forwarded-For from a client that is not the gateway', async () => {
    const t = await app({ RATE_LIMIT_LOGIN_PER_IP: '2' })
    const ip = randomIp()
    for (let i = 0; i < 2; i++) {
      await login(t, uniqueEmail(), ip, { 'x-forwarded-for': randomIp() })
    }
    const res = await login(t, uniqueEmail(), ip, { 'x-forwarded-for': randomIp() })
    expect(res.statusCode).toBe(429)
  })

  it('limits registrations per address', async () => {
    const t = await app({ RATE_LIMIT_REGISTER_PER_IP: '1' })
    const ip = randomIp()
    const register = () =>
      t.app.inject({
        method: 'POST',
        url: '/auth/register',
        payload: { email: uniqueEmail(), password: 'tangerine-lantern-77' },
        remoteAddress: ip,
      })
    expect((await register()).statusCode).toBe(201)
    expect((await register()).statusCode).toBe(429)
  })
})

let redisUp = false
beforeAll(async () => {
  redisUp = await redisReachable('Redis rate-limit tests')
})

describe('brute-force limits in Redis (shared by replicas)', () => {
  it('holds one count across two replicas', async (ctx) => {
    if (!redisUp) return ctx.skip()
    const a = await app({ REDIS_URL, RATE_LIMIT_LOGIN_PER_IP: '4' })
    const b = await app({ REDIS_URL, RATE_LIMIT_LOGIN_PER_IP: '4' })
    const ip = randomIp()
    expect((await login(a, uniqueEmail(), ip)).statusCode).toBe(401)
    expect((await login(b, uniqueEmail(), ip)).statusCode).toBe(401)
    expect((await login(a, uniqueEmail(), ip)).statusCode).toBe(401)
    expect((await login(b, uniqueEmail(), ip)).statusCode).toBe(401)
    expect((await login(a, uniqueEmail(), ip)).statusCode).toBe(429)
    expect((await login(b, uniqueEmail(), ip)).statusCode).toBe(429)
  })

  it('answers its very first requests after start (does not 503 while Redis connects)', async () => {
    const t = await app({ REDIS_URL, RATE_LIMIT_LOGIN_PER_IP: '10' })
    const ip = randomIp()
    const first = await Promise.all([1, 2, 3].map(() => login(t, uniqueEmail(), ip)))
    expect(first.map((r) => r.statusCode)).toEqual([401, 401, 401])
  })

  it('fails closed (503) when Redis cannot be reached, never unlimited', async () => {
    const t = await app({ REDIS_URL: 'redis://127.0.0.1:1' })
    const res = await login(t, uniqueEmail(), randomIp())
    expect(res.statusCode).toBe(503)
    expect(res.json().code).toBe('service_unavailable')
  })
})

describe('locks a stranger cannot turn against the owner', () => {
  const PASSWORD = 'owners-real-password-9'
  async function owner(t: TestApp) {
    const email = uniqueEmail()
    const res = await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email, password: PASSWORD },
      remoteAddress: randomIp(),
    })
    expect(res.statusCode).toBe(201)
    return email
  }
  const signIn = (t: TestApp, email: string, password: string, ip: string) =>
    t.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email, password },
      remoteAddress: ip,
    })

  it('stops a guesser at their own address while the owner signs in from theirs', async () => {
    const t = await app({
      RATE_LIMIT_LOGIN_PER_ACCOUNT_IP: '3',
      RATE_LIMIT_LOGIN_PER_ACCOUNT: '10',
    })
    const email = await owner(t)
    const stranger = randomIp()
    for (let i = 0; i < 3; i++) {
      expect((await signIn(t, email, 'a-wrong-guess-000', stranger)).statusCode).toBe(401)
    }
    // Locked for the stranger's address, even with the right password...
    const locked = await signIn(t, email, PASSWORD, stranger)
    expect(locked.statusCode).toBe(429)
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0)
    // ...while the owner, elsewhere, is let in.
    expect((await signIn(t, email, PASSWORD, randomIp())).statusCode).toBe(200)
  })

  it('never counts the right password, and lets it clear its own address', async () => {
    const t = await app({
      RATE_LIMIT_LOGIN_PER_ACCOUNT_IP: '2',
      RATE_LIMIT_LOGIN_PER_ACCOUNT: '100',
    })
    const email = await owner(t)
    const ip = randomIp()
    for (let i = 0; i < 5; i++) expect((await signIn(t, email, PASSWORD, ip)).statusCode).toBe(200)
    expect((await signIn(t, email, 'typo-in-password-1', ip)).statusCode).toBe(401)
    expect((await signIn(t, email, PASSWORD, ip)).statusCode).toBe(200) // clears the one typo
    expect((await signIn(t, email, 'typo-in-password-2', ip)).statusCode).toBe(401)
    expect((await signIn(t, email, 'typo-in-password-3', ip)).statusCode).toBe(401)
    expect((await signIn(t, email, PASSWORD, ip)).statusCode).toBe(429)
  })

  it('mails the owner once when guessing from many addresses locks the account, and a reset lifts it', async () => {
    const smtp = await startSmtpSink()
    try {
      const t = await app({
        SMTP_URL: smtp.url,
        RATE_LIMIT_LOGIN_PER_ACCOUNT_IP: '100',
        RATE_LIMIT_LOGIN_PER_ACCOUNT: '3',
      })
      const email = await owner(t)
      for (let i = 0; i < 5; i++) {
        await signIn(t, email, `spread-guess-${i}-x`, randomIp())
      }
      const ownerIp = randomIp()
      expect((await signIn(t, email, PASSWORD, ownerIp)).statusCode).toBe(429)
      const mails = await smtp.waitFor(2, email) // verification, then the notice
      await new Promise((r) => setTimeout(r, 300))
      const notices = smtp.received.filter((m) => m.to === email && /paused/.test(m.subject))
      expect(notices).toHaveLength(1)
      expect(mails.some((m) => /reset your password/.test(m.text))).toBe(true)

      // The reset link goes to the mailbox, so it gets the owner through the lock.
      await t.app.inject({
        method: 'POST',
        url: '/auth/password/forgot',
        payload: { email },
        remoteAddress: ownerIp,
      })
      const reset = (await smtp.waitFor(3, email)).find((m) => /Reset/.test(m.subject))
      const done = await t.app.inject({
        method: 'POST',
        url: '/auth/password/reset',
        payload: { token: tokenFrom(reset as never).token, password: 'after-the-lock-pw-3' },
        remoteAddress: ownerIp,
      })
      expect(done.statusCode).toBe(204)
      expect((await signIn(t, email, 'after-the-lock-pw-3', ownerIp)).statusCode).toBe(200)
    } finally {
      await smtp.stop()
    }
  })

  it('spends a stranger’s reset allowance per address, not the owner’s', async () => {
    const t = await app({ RATE_LIMIT_FORGOT_PER_EMAIL_IP: '2', RATE_LIMIT_FORGOT_PER_EMAIL: '5' })
    const email = uniqueEmail()
    const forgot = (ip: string) =>
      t.app.inject({
        method: 'POST',
        url: '/auth/password/forgot',
        payload: { email },
        remoteAddress: ip,
      })
    const stranger = randomIp()
    expect((await forgot(stranger)).statusCode).toBe(202)
    expect((await forgot(stranger)).statusCode).toBe(202)
    expect((await forgot(stranger)).statusCode).toBe(429)
    expect((await forgot(randomIp())).statusCode).toBe(202)
  })
})

describe('checks of the current password by a signed-in user', () => {
  it('limits wrong current passwords on password change, so a stolen token cannot guess', async () => {
    const t = await app({ RATE_LIMIT_PASSWORD_CONFIRM_PER_USER: '3' })
    const email = uniqueEmail()
    const password = 'the-current-password-1'
    await t.app.inject({ method: 'POST', url: '/auth/register', payload: { email, password } })
    const { access_token } = (
      await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } })
    ).json()
    const change = (current: string) =>
      t.app.inject({
        method: 'POST',
        url: '/auth/password/change',
        headers: { authorization: `Bearer ${access_token}` },
        payload: { current_password: current, new_password: 'a-brand-new-password-2' },
      })
    for (let i = 0; i < 3; i++) expect((await change(`guess-number-${i}-x`)).statusCode).toBe(401)
    const limited = await change(password)
    expect(limited.statusCode).toBe(429)
    expect(limited.json().code).toBe('rate_limited')
  })

  it('limits verification mails per signed-in user', async () => {
    const t = await app({ RATE_LIMIT_VERIFY_RESEND_PER_USER: '2' })
    const email = uniqueEmail()
    const password = 'resend-limit-password-1'
    await t.app.inject({ method: 'POST', url: '/auth/register', payload: { email, password } })
    const { access_token } = (
      await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } })
    ).json()
    const resend = () =>
      t.app.inject({
        method: 'POST',
        url: '/auth/email/verify/resend',
        headers: { authorization: `Bearer ${access_token}` },
      })
    expect((await resend()).statusCode).toBe(202)
    expect((await resend()).statusCode).toBe(202)
    expect((await resend()).statusCode).toBe(429)
  })
})

describe('the account lock in Redis', () => {
  it('counts failures for one account across replicas', async (ctx) => {
    if (!redisUp) return ctx.skip()
    const env = {
      REDIS_URL,
      RATE_LIMIT_LOGIN_PER_ACCOUNT: '3',
      RATE_LIMIT_LOGIN_PER_ACCOUNT_IP: '100',
    }
    const a = await app(env)
    const b = await app(env)
    const email = uniqueEmail()
    expect((await login(a, email, randomIp())).statusCode).toBe(401)
    expect((await login(b, email, randomIp())).statusCode).toBe(401)
    expect((await login(a, email, randomIp())).statusCode).toBe(401)
    expect((await login(b, email, randomIp())).statusCode).toBe(429)
  })
})
