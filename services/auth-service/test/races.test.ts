/** Races on the things that must have one winner, through inject and a real listener. */
import { afterAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './helper.js'

const apps: TestApp[] = []
afterAll(async () => {
  for (const t of apps) await t.close()
})

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
})
