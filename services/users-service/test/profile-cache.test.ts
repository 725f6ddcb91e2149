/**
 * GET /users/me from memory (issue 19): the kept profile is forgotten when another writer (here a
 * second connection to the same database, standing in for the auth-service or `pnpm manage`)
 * changes one of its rows, on both dialects; the feed's own rules (which columns count, a lost
 * PostgreSQL connection) and the cache's bounds.
 */
import { newId, openDatabase } from '@authpair/db'
import { testDialect } from '@authpair/db/testing'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProfileCache } from '../src/plugins/app/profiles.js'
import { type Pair, startUsersService } from './helper.js'

let pair: Pair
let writer: ReturnType<typeof openDatabase>

beforeAll(async () => {
  pair = await startUsersService()
  writer = openDatabase(pair.database.target)
})

afterAll(async () => {
  await writer?.close()
  await pair?.close()
})

const as = (token: string) => ({ authorization: `Bearer ${token}` })
const me = (token: string) =>
  pair.users.inject({ method: 'GET', url: '/users/me', headers: as(token) })

async function lookups(): Promise<{ hit: number; miss: number }> {
  const text = (await pair.users.inject({ method: 'GET', url: '/metrics' })).body
  const count = (outcome: string) =>
    Number(
      new RegExp(`^users_profile_cache_lookups_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(
        text,
      )?.[1] ?? 0,
    )
  return { hit: count('hit'), miss: count('miss') }
}

/**
 * GET /users/me until `done` holds for its answer: on SQLite the first answer must already
 * hold (the feed is read before every lookup); PostgreSQL's NOTIFY comes a few ms after the
 * commit, and must come within three seconds even on a loaded machine.
 */
async function until(
  token: string,
  done: (res: Awaited<ReturnType<typeof me>>) => boolean,
): Promise<{ res: Awaited<ReturnType<typeof me>>; waitedMs: number }> {
  const started = performance.now()
  let res = await me(token)
  if (testDialect() === 'postgres') {
    while (!done(res) && performance.now() - started < 3000) {
      await new Promise((resolve) => setTimeout(resolve, 5))
      res = await me(token)
    }
  }
  return { res, waitedMs: performance.now() - started }
}

describe('GET /users/me from memory', () => {
  it('serves a repeat request without reading the database', async () => {
    const { token } = await pair.userWithToken()
    expect((await me(token)).statusCode).toBe(200)
    const before = await lookups()
    const res = await me(token)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    const after = await lookups()
    expect(after.hit).toBe(before.hit + 1)
    expect(after.miss).toBe(before.miss)
  })

  it('shows a name another writer changed', async () => {
    const { token, userId } = await pair.userWithToken()
    expect((await me(token)).json().name).toBeNull()
    await writer.users.update(userId, { name: 'Changed Elsewhere', updatedAt: new Date() })
    const { res } = await until(token, (r) => r.json().name === 'Changed Elsewhere')
    expect(res.json().name).toBe('Changed Elsewhere')
  })

  it('refuses a user another writer deactivated, and one it deleted', async () => {
    const one = await pair.userWithToken()
    const two = await pair.userWithToken()
    expect((await me(one.token)).statusCode).toBe(200)
    expect((await me(two.token)).statusCode).toBe(200)
    await writer.users.update(one.userId, { isActive: false, updatedAt: new Date() })
    expect((await until(one.token, (r) => r.statusCode === 401)).res.statusCode).toBe(401)
    await writer.users.delete(two.userId)
    const gone = (await until(two.token, (r) => r.statusCode === 401)).res
    expect(gone.statusCode).toBe(401)
    expect(gone.json().code).toBe('invalid_token')
  })

  it('shows a provider another writer linked, and an authenticator app it confirmed', async () => {
    const { token, userId } = await pair.userWithToken()
    expect((await me(token)).json()).toMatchObject({ providers: [], mfa_enabled: false })
    await writer.identities.create({
      id: newId(),
      userId,
      provider: 'github',
      providerUserId: `gh-${newId()}`,
      email: null,
      createdAt: new Date(),
    })
    expect(
      (await until(token, (r) => r.json().providers.length === 1)).res.json().providers,
    ).toEqual(['github'])
    const now = new Date()
    expect(
      await writer.secondFactors.beginTotp({ userId, secretEnc: 'sealed', createdAt: now }),
    ).toBe(true)
    // An enrolment in progress is not "on".
    expect((await me(token)).json().mfa_enabled).toBe(false)
    expect(await writer.secondFactors.confirmTotp(userId, { at: now, step: 1 }, [])).toBe(true)
    expect((await until(token, (r) => r.json().mfa_enabled === true)).res.json().mfa_enabled).toBe(
      true,
    )
  })

  it('keeps the profile through changes it does not show (a sign-in, a TOTP step)', async () => {
    const { token, userId } = await pair.userWithToken()
    const now = new Date()
    await writer.secondFactors.beginTotp({ userId, secretEnc: 'sealed', createdAt: now })
    await writer.secondFactors.confirmTotp(userId, { at: now, step: 1 }, [])
    await until(token, (r) => r.json().mfa_enabled === true)
    // PostgreSQL: the enrolment's own notifications may still be on their way; ask until a
    // request is served from memory (they have arrived and the profile is kept again).
    const warm = performance.now()
    for (;;) {
      const seen = await lookups()
      await me(token)
      if ((await lookups()).hit === seen.hit + 1 || performance.now() - warm > 5000) break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await writer.users.recordSignIn(userId, new Date())
    expect(await writer.secondFactors.useTotpStep(userId, 7)).toBe(true)
    // PostgreSQL: a notification would have arrived by now; none is sent for these columns.
    await new Promise((resolve) => setTimeout(resolve, 200))
    const before = await lookups()
    expect((await me(token)).statusCode).toBe(200)
    expect((await lookups()).hit).toBe(before.hit + 1)
  })

  it('shows its own PATCH at once, on the next request', async () => {
    const { token } = await pair.userWithToken()
    await me(token)
    const patched = await pair.users.inject({
      method: 'PATCH',
      url: '/users/me',
      headers: as(token),
      payload: { locale: 'de' },
    })
    expect(patched.statusCode).toBe(200)
    expect((await me(token)).json().locale).toBe('de')
  })

  it.runIf(testDialect() === 'postgres')(
    'PostgreSQL: after losing its LISTEN connection it listens again and forgets what it kept',
    async () => {
      const { token, userId } = await pair.userWithToken()
      await me(token)
      const admin = postgres(pair.database.url, { max: 1, onnotice: () => {} })
      try {
        // End the listening session (the server restarting, a proxy dropping it).
        const ended = await admin`
          select pg_terminate_backend(pid) as ok from pg_stat_activity
          where datname = current_database() and query ilike 'listen%'`
        expect(ended.length).toBe(1)
        // Changed while nobody listens: this notification is lost.
        await writer.users.update(userId, { name: 'While Deaf', updatedAt: new Date() })
        // The service listens again (a new backend)...
        const started = performance.now()
        let listening = 0
        while (listening === 0 && performance.now() - started < 10_000) {
          await new Promise((resolve) => setTimeout(resolve, 20))
          listening = (
            await admin`select 1 from pg_stat_activity
              where datname = current_database() and query ilike 'listen%'`
          ).length
        }
        expect(listening).toBe(1)
        // ...and, having missed notifications, forgets everything it kept: the change shows
        // within moments, not at the entry's 60 s bound.
        let name = (await me(token)).json().name
        while (name !== 'While Deaf' && performance.now() - started < 15_000) {
          await new Promise((resolve) => setTimeout(resolve, 20))
          name = (await me(token)).json().name
        }
        expect(name).toBe('While Deaf')
        // A later change is heard.
        await me(token)
        await writer.users.update(userId, { name: 'Heard Again', updatedAt: new Date() })
        expect((await until(token, (r) => r.json().name === 'Heard Again')).res.json().name).toBe(
          'Heard Again',
        )
      } finally {
        await admin.end({ timeout: 1 })
      }
    },
  )
})

describe('ProfileCache', () => {
  it('is bounded: past max the oldest entry goes', () => {
    const cache = new ProfileCache(2, 60_000, () => 0)
    cache.set('a', 'A', cache.generation)
    cache.set('b', 'B', cache.generation)
    cache.set('c', 'C', cache.generation)
    expect(cache.size).toBe(2)
    expect(cache.get('a')).toBeUndefined()
    expect([cache.get('b'), cache.get('c')]).toEqual(['B', 'C'])
  })

  it('forgets an entry after its time to live', () => {
    let now = 0
    const cache = new ProfileCache(10, 1000, () => now)
    cache.set('a', 'A', cache.generation)
    now = 999
    expect(cache.get('a')).toBe('A')
    now = 1000
    expect(cache.get('a')).toBeUndefined()
  })

  it('does not keep a read that was in flight when a change arrived', () => {
    const cache = new ProfileCache(10, 1000, () => 0)
    const generation = cache.generation
    cache.forget('someone-else')
    cache.set('a', 'stale', generation)
    expect(cache.get('a')).toBeUndefined()
    cache.set('a', 'fresh', cache.generation)
    expect(cache.get('a')).toBe('fresh')
  })

  it('keeps nothing with max 0', () => {
    const cache = new ProfileCache(0, 1000, () => 0)
    cache.set('a', 'A', cache.generation)
    expect(cache.get('a')).toBeUndefined()
  })
})
