/**
 * The users-service's /metrics (issue 21): prom-client's process defaults under their standard
 * names, and rate-limited requests counted by route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD, type Pair, startUsersService } from './helper.js'

let pair: Pair
beforeAll(async () => {
  pair = await startUsersService({ RATE_LIMIT_PASSWORD_CONFIRM_PER_USER: '2' })
})
afterAll(async () => pair?.close())

const metrics = async () => (await pair.users.inject({ method: 'GET', url: '/metrics' })).body

describe('GET /metrics', () => {
  it('has the standard process metrics, unprefixed', async () => {
    const body = await metrics()
    expect(body).toMatch(/^process_resident_memory_bytes \d+/m)
    expect(body).toMatch(/^nodejs_eventloop_lag_seconds \S+/m)
    expect(body).not.toContain('users_process_')
    expect(body).not.toContain('users_nodejs_')
  })

  it('counts requests refused with 429 by route pattern (users_rate_limited_total)', async () => {
    const { token } = await pair.userWithToken()
    const remove = (password: string) =>
      pair.users.inject({
        method: 'DELETE',
        url: '/users/me',
        headers: { authorization: `Bearer ${token}` },
        payload: { password },
      })
    for (let i = 0; i < 2; i++) expect((await remove(`guess-${i}-wrong`)).statusCode).toBe(401)
    expect(await metrics()).not.toMatch(/^users_rate_limited_total\{/m)
    expect((await remove(PASSWORD)).statusCode).toBe(429)
    expect((await remove(PASSWORD)).statusCode).toBe(429)
    expect(await metrics()).toMatch(/^users_rate_limited_total\{route="\/users\/me"\} 2$/m)
  })
})
