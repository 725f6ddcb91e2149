/**
 * GET /admin/audit: the audit trail both services write, through the users-service's admin
 * API. Who may read it, the page walk (every event once, ties on created_at included), the
 * filters and how they combine, and the 400s for filters it cannot answer.
 */
import { newId } from '@authpair/db'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Pair, startUsersService } from './helper.js'

let pair: Pair
let admin: Awaited<ReturnType<Pair['userWithToken']>>
let user: Awaited<ReturnType<Pair['userWithToken']>>
beforeAll(async () => {
  pair = await startUsersService()
  admin = await pair.userWithToken('admin')
  user = await pair.userWithToken('user')
})
afterAll(async () => pair?.close())

const as = (token: string) => ({ authorization: `Bearer ${token}` })
const audit = (query: string, token = admin.token) =>
  pair.users.inject({ method: 'GET', url: `/admin/audit${query}`, headers: as(token) })

const ZERO_ID = '00000000-0000-7000-8000-000000000000'
const t0 = new Date('2026-02-01T00:00:00.000Z')
const at = (ms: number) => new Date(t0.getTime() + ms)

/** Writes events as the services do (the same table), at chosen times. */
async function recorded(events: { type: string; userId: string | null; createdAt: Date }[]) {
  const ids: string[] = []
  for (const event of events) {
    const id = newId()
    ids.push(id)
    await pair.users.db.auditEvents.record({
      id,
      ...event,
      ip: '198.51.100.7',
      userAgent: 'vitest',
      requestId: `req-${id}`,
      data: JSON.stringify({ n: ids.length }),
    })
  }
  return ids
}

/** Follows next_cursor to the end; every page must be 200 and at most `limit` long. */
async function walk(query: string, limit: number) {
  const seen: { id: string; type: string; user_id: string | null; created_at: string }[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const sep = query ? '&' : '?'
    const res = await audit(
      `${query}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    )
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.items.length).toBeLessThanOrEqual(limit)
    seen.push(...body.items)
    cursor = body.next_cursor
    pages++
    expect(pages).toBeLessThan(100)
  } while (cursor)
  return { seen, pages }
}

describe('GET /admin/audit: who may call it', () => {
  it('is 403 for a non-admin and a client token, and 401 without a token', async () => {
    const asUser = await audit('', user.token)
    expect(asUser.statusCode).toBe(403)
    expect(asUser.json().code).toBe('forbidden')
    const client = await pair.issuer.clientToken({ clientId: 'svc-1', scope: 'users:read' })
    const asClient = await audit('', client)
    expect(asClient.statusCode).toBe(403)
    expect(asClient.json().code).toBe('forbidden')
    const anonymous = await pair.users.inject({ method: 'GET', url: '/admin/audit' })
    expect(anonymous.statusCode).toBe(401)
  })
})

describe('GET /admin/audit', () => {
  it('shows what the admin API records: the actor, the client and the details', async () => {
    const created = await pair.users.inject({
      method: 'POST',
      url: '/admin/users',
      headers: { ...as(admin.token), 'user-agent': 'console-test', 'x-request-id': 'req-audit-1' },
      payload: { email: `audited.${Date.now()}@example.com` },
    })
    expect(created.statusCode).toBe(201)
    const res = await audit(`?user_id=${created.json().id}`)
    expect(res.statusCode).toBe(200)
    const { items, next_cursor } = res.json()
    expect(next_cursor).toBeNull()
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({
      type: 'user_created',
      user_id: created.json().id,
      actor_id: admin.userId,
      user_agent: 'console-test',
      request_id: 'req-audit-1',
      details: { role: 'user' },
    })
    expect(typeof items[0].ip).toBe('string')
    expect(new Date(items[0].created_at).toISOString()).toBe(items[0].created_at)
  })

  it('pages newest first through events sharing a time: each seen exactly once', async () => {
    const subject = newId()
    // 23 events, four to a millisecond: page boundaries fall inside ties on created_at.
    const ids = await recorded(
      Array.from({ length: 23 }, (_, i) => ({
        type: i % 3 === 0 ? 'login_failed' : 'login_succeeded',
        userId: subject,
        createdAt: at(Math.floor(i / 4)),
      })),
    )
    const { seen, pages } = await walk(`?user_id=${subject}`, 5)
    expect(pages).toBe(5)
    expect(seen.map((e) => e.id)).toHaveLength(23)
    expect(new Set(seen.map((e) => e.id))).toEqual(new Set(ids))
    // Newest first; within one time, the larger id first (the order the cursor follows).
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1], seen[i]] as [(typeof seen)[0], (typeof seen)[0]]
      const byTime = Date.parse(a.created_at) - Date.parse(b.created_at)
      expect(byTime > 0 || (byTime === 0 && a.id > b.id)).toBe(true)
    }
    // An exact multiple of the page size ends with a null cursor, not an empty page.
    const exact = await walk(`?user_id=${subject}&type=login_failed`, 4)
    expect(exact.seen).toHaveLength(8)
    expect(exact.pages).toBe(2)
  })

  it('combines the filters: user, types (the parameter repeated) and a time window', async () => {
    const subject = newId()
    const bystander = newId()
    const ids = await recorded([
      { type: 'login_failed', userId: subject, createdAt: at(60_000) },
      { type: 'mfa_failed', userId: subject, createdAt: at(61_000) },
      { type: 'login_succeeded', userId: subject, createdAt: at(62_000) },
      { type: 'login_failed', userId: subject, createdAt: at(63_000) },
      { type: 'login_failed', userId: bystander, createdAt: at(61_000) },
      { type: 'key_rotated', userId: null, createdAt: at(61_500) },
    ])
    const ofQuery = async (query: string) => {
      const res = await audit(query)
      expect(res.statusCode).toBe(200)
      return res.json().items.map((e: { id: string }) => e.id)
    }
    expect(await ofQuery(`?user_id=${subject}`)).toEqual([ids[3], ids[2], ids[1], ids[0]])
    // `user` is the same filter as `user_id`.
    expect(await ofQuery(`?user=${subject}`)).toEqual([ids[3], ids[2], ids[1], ids[0]])
    expect(await ofQuery(`?user_id=${subject}&type=login_failed`)).toEqual([ids[3], ids[0]])
    expect(await ofQuery(`?user_id=${subject}&type=login_failed&type=mfa_failed`)).toEqual([
      ids[3],
      ids[1],
      ids[0],
    ])
    // since is inclusive, until exclusive.
    const since = encodeURIComponent(at(61_000).toISOString())
    const until = encodeURIComponent(at(63_000).toISOString())
    expect(await ofQuery(`?user_id=${subject}&since=${since}&until=${until}`)).toEqual([
      ids[2],
      ids[1],
    ])
    expect(
      await ofQuery(`?user_id=${subject}&type=login_failed&since=${since}&until=${until}`),
    ).toEqual([])
    // Without the user filter, the window holds everybody's events of those types.
    expect(
      await ofQuery(`?type=login_failed&type=key_rotated&since=${since}&until=${until}`),
    ).toEqual([ids[5], ids[4]])
    // A time with an offset means the same instant (00:01:02Z, the third event).
    const sinceOffset = encodeURIComponent('2026-02-01T03:01:02+03:00')
    expect(await ofQuery(`?user_id=${subject}&since=${sinceOffset}`)).toEqual([ids[3], ids[2]])
  })

  it('keeps the filters across pages', async () => {
    const subject = newId()
    const ids = await recorded(
      Array.from({ length: 9 }, (_, i) => ({
        type: i % 2 === 0 ? 'login_failed' : 'login_succeeded',
        userId: i === 4 ? newId() : subject,
        createdAt: at(120_000 + i),
      })),
    )
    const { seen } = await walk(`?user_id=${subject}&type=login_failed`, 2)
    expect(seen.map((e) => e.id)).toEqual([ids[8], ids[6], ids[2], ids[0]])
  })

  it.each([
    ['an unknown type', '?type=login_happened', 'query.type'],
    ['an unknown type among known ones', '?type=login_failed&type=nope', 'query.type'],
    [
      'a comma-separated list (repeat the parameter)',
      '?type=login_failed,mfa_failed',
      'query.type',
    ],
    ['an empty type', '?type=', 'query.type'],
    ['a user that is not an id', '?user_id=42', 'query.user_id'],
    ['a time that is not RFC 3339', '?since=yesterday', 'query.since'],
    ['a time without an offset', '?until=2026-02-01T00:00:00', 'query.until'],
    [
      'a window that ends before it starts',
      '?since=2026-02-02T00:00:00Z&until=2026-02-01T00:00:00Z',
      'query.until',
    ],
    // Found by the fuzz suite: the window check ran on a time that had failed its own schema.
    ['a bad time beside a good one', '?since=2026-02-01T00:00:00Z&until=+', 'query.until'],
    ['a bad user beside a good one', `?user_id=%60&user=${ZERO_ID}`, 'query.user_id'],
    ['two different users', `?user_id=${ZERO_ID}&user=${newId()}`, 'query.user'],
    ['a limit of 0', '?limit=0', 'query.limit'],
    ['a limit over 200', '?limit=201', 'query.limit'],
    ['an unknown parameter', '?actor=x', 'query'],
    ['a cursor this API did not make', '?cursor=not-a-cursor', 'query.cursor'],
    [
      'a cursor for no event',
      `?cursor=${Buffer.from(ZERO_ID).toString('base64url')}`,
      'query.cursor',
    ],
  ])('answers %s with 400 validation_failed', async (_, query, path) => {
    const res = await audit(query)
    expect(res.statusCode).toBe(400)
    expect(res.json().errors.length).toBeGreaterThan(0)
    expect(res.headers['content-type']).toContain('application/problem+json')
    const body = res.json()
    expect(body.code).toBe('validation_failed')
    // The path names the parameter (an item of a repeated one adds its index).
    expect(
      body.errors.some((e: { path: string }) => e.path === path || e.path.startsWith(`${path}.`)),
    ).toBe(true)
  })

  it('pages 50 by default and up to 200', async () => {
    const subject = newId()
    await recorded(
      Array.from({ length: 201 }, (_, i) => ({
        type: 'login_failed',
        userId: subject,
        createdAt: at(200_000 + i),
      })),
    )
    const first = (await audit(`?user_id=${subject}`)).json()
    expect(first.items).toHaveLength(50)
    expect(first.next_cursor).not.toBeNull()
    const most = (await audit(`?user_id=${subject}&limit=200`)).json()
    expect(most.items).toHaveLength(200)
    expect(most.next_cursor).not.toBeNull()
  })
})
