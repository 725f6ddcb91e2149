/**
 * Races on the things that must have one winner, over a real listener, on the run's database
 * (the suite runs once on SQLite and once on PostgreSQL). Each prints what it raced and counted.
 */
import { newId } from '@authpair/db'
import { afterAll, describe, expect, it } from 'vitest'
import { hashOpaqueToken, newOpaqueToken } from '../src/tokens/opaque-token.js'
import { buildTestApp, type TestApp } from './helper.js'
import { startSmtpSink, tokenFrom } from './support/smtp-sink.js'

const apps: TestApp[] = []
const stops: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const t of apps) await t.close()
  for (const stop of stops) await stop()
})

const PASSWORD = 'tangerine-lantern-77'

function postJson(base: string, path: string, body: unknown) {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

function tally(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {}
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1
  return counts
}

function report(what: string, statuses: number[], extra = '') {
  const counts = Object.entries(tally(statuses))
    .map(([status, n]) => `${n}x${status}`)
    .join(' ')
  console.log(`[race] ${process.env.TEST_DB ?? 'sqlite'}: ${what}: ${counts}${extra}`)
}

describe('races', () => {
  it('50 concurrent registrations of one email: exactly one 201, the rest 409, one row', async () => {
    const t = await buildTestApp()
    apps.push(t)
    const base = await t.app.listen({ host: '127.0.0.1', port: 0 })
    const email = 'race@example.com'
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch(`${base}/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            email: i % 2 ? email : email.toUpperCase(),
            password: 'tangerine-lantern-77',
          }),
        }),
      ),
    )
    const statuses = responses.map((r) => r.status)
    report('one email registered 50 times at once', statuses)
    expect(statuses.filter((s) => s === 201)).toHaveLength(1)
    expect(statuses.filter((s) => s === 409)).toHaveLength(49)
    const user = await t.app.db.users.findByEmail(email)
    expect(user).toBeDefined()
    const login = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email, password: 'tangerine-lantern-77' },
    })
    expect(login.statusCode).toBe(200)
  })

  it('20 concurrent refreshes of one token outside the leeway: at most one succeeds, never two live tokens', async () => {
    const t = await buildTestApp({ REFRESH_REUSE_LEEWAY_SECONDS: '0' })
    apps.push(t)
    const base = await t.app.listen({ host: '127.0.0.1', port: 0 })
    await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email: 'refresh-race@example.com', password: 'tangerine-lantern-77' },
    })
    const pair = (
      await t.app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { email: 'refresh-race@example.com', password: 'tangerine-lantern-77' },
      })
    ).json()
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${base}/auth/token/refresh`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refresh_token: pair.refresh_token }),
        }),
      ),
    )
    const bodies = await Promise.all(
      responses.map((r) => r.json() as Promise<Record<string, string>>),
    )
    const winners = bodies.filter((_, i) => responses[i]?.status === 200)
    report(
      'one refresh token used 20 times at once',
      responses.map((r) => r.status),
    )
    expect(winners.length).toBeLessThanOrEqual(1)
    expect(responses.every((r) => r.status === 200 || r.status === 401)).toBe(true)
    // Whatever happened, no two refresh tokens of this session can be live now.
    const live = await Promise.all(
      winners.map((w) =>
        t.app.inject({
          method: 'POST',
          url: '/auth/token/refresh',
          payload: { refresh_token: w.refresh_token },
        }),
      ),
    )
    expect(live.filter((r) => r.statusCode === 200).length).toBeLessThanOrEqual(1)
  })

  it('20 concurrent uses of one password-reset link: one new password, the rest 400', async () => {
    const smtp = await startSmtpSink()
    stops.push(() => smtp.stop())
    const t = await buildTestApp({ SMTP_URL: smtp.url })
    apps.push(t)
    const base = await t.app.listen({ host: '127.0.0.1', port: 0 })
    const email = 'reset-race@example.com'
    expect((await postJson(base, '/auth/register', { email, password: PASSWORD })).status).toBe(201)
    expect((await postJson(base, '/auth/password/forgot', { email })).status).toBe(202)
    const reset = (await smtp.waitFor(2, email)).find((m) => m.subject.includes('Reset'))
    if (!reset) throw new Error('no reset mail')
    const { token } = tokenFrom(reset)

    const passwords = Array.from({ length: 20 }, (_, i) => `racing-reset-secret-${i}-x`)
    const responses = await Promise.all(
      passwords.map((password) => postJson(base, '/auth/password/reset', { token, password })),
    )
    const statuses = responses.map((r) => r.status)
    report('reset link used 20 times at once', statuses)
    expect(statuses.filter((s) => s === 204 || s === 200)).toHaveLength(1)
    for (const r of responses.filter((r) => r.status === 400)) {
      expect(((await r.json()) as { code: string }).code).toBe('invalid_token')
    }
    expect(statuses.filter((s) => s !== 400 && s !== 204 && s !== 200)).toEqual([])

    // Exactly the winner's password signs in; none of the losers' does, nor the old one.
    const winner = passwords[statuses.findIndex((s) => s === 204 || s === 200)] ?? ''
    const logins = await Promise.all(
      [winner, PASSWORD, ...passwords.filter((p) => p !== winner).slice(0, 3)].map((password) =>
        postJson(base, '/auth/login', { email, password }),
      ),
    )
    expect(logins.map((r) => r.status)).toEqual([200, 401, 401, 401, 401])
  })

  it('20 concurrent uses of one email-verification link: one 204, the rest 400', async () => {
    const smtp = await startSmtpSink()
    stops.push(() => smtp.stop())
    const t = await buildTestApp({ SMTP_URL: smtp.url })
    apps.push(t)
    const base = await t.app.listen({ host: '127.0.0.1', port: 0 })
    const email = 'verify-race@example.com'
    expect((await postJson(base, '/auth/register', { email, password: PASSWORD })).status).toBe(201)
    const [mail] = await smtp.waitFor(1, email)
    if (!mail) throw new Error('no verification mail')
    const { token } = tokenFrom(mail)
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => postJson(base, '/auth/email/verify', { token })),
    )
    const statuses = responses.map((r) => r.status)
    report('verification link used 20 times at once', statuses)
    expect(statuses.filter((s) => s === 204)).toHaveLength(1)
    expect(statuses.filter((s) => s === 400)).toHaveLength(19)
    expect((await t.app.db.users.findByEmail(email))?.emailVerified).toBe(true)
  })

  it('20 concurrent exchanges of one OAuth login code: one session, the rest 400', async () => {
    const t = await buildTestApp()
    apps.push(t)
    const base = await t.app.listen({ host: '127.0.0.1', port: 0 })
    const email = 'oauth-race@example.com'
    expect((await postJson(base, '/auth/register', { email, password: PASSWORD })).status).toBe(201)
    const user = await t.app.db.users.findByEmail(email)
    if (!user) throw new Error('no user')
    // The row the OAuth callback writes (oauth.test.ts drives the whole provider flow); the race
    // under test is the exchange.
    const code = newOpaqueToken()
    const now = new Date()
    await t.app.db.oneTimeTokens.issue({
      id: newId(),
      userId: user.id,
      purpose: 'oauth_login',
      tokenHash: hashOpaqueToken(code),
      createdAt: now,
      expiresAt: new Date(now.getTime() + 60_000),
      data: JSON.stringify({ provider: 'github' }),
    })
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => postJson(base, '/auth/oauth/exchange', { code })),
    )
    const statuses = responses.map((r) => r.status)
    const sessions = await t.app.db.sessions.listActive(user.id, new Date())
    report('login code exchanged 20 times at once', statuses, `; sessions: ${sessions.length}`)
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s === 400)).toHaveLength(19)
    expect(sessions).toHaveLength(1)
  })
})
