import { createHash, randomBytes } from 'node:crypto'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, newId, openDatabase, UniqueViolationError } from '../src/index.js'
import { createTestDatabase, type TestDatabase, testDialect } from '../src/testing.js'

let testDb: TestDatabase
let db: Database
beforeAll(async () => {
  testDb = await createTestDatabase()
  db = openDatabase(testDb.target)
})
afterAll(async () => {
  await db?.close()
  await testDb?.drop()
})

const t0 = new Date('2026-02-01T00:00:00.000Z')
const at = (s: number) => new Date(t0.getTime() + s * 1000)
const DAY = 86_400
const hashOf = (token: string) => createHash('sha256').update(token).digest('base64url')
const newToken = () => randomBytes(32).toString('base64url')

async function userId() {
  const user = await db.users.create({
    id: newId(),
    email: `${newId()}@example.com`,
    createdAt: t0,
    updatedAt: t0,
  })
  return user.id
}

async function session(owner: string, token: string, absoluteDays = 30) {
  return db.sessions.create(
    {
      id: newId(),
      userId: owner,
      createdAt: t0,
      lastUsedAt: t0,
      expiresAt: at(absoluteDays * DAY),
      userAgent: 'vitest',
      ip: '203.0.113.5',
    },
    { id: newId(), tokenHash: hashOf(token), createdAt: t0, expiresAt: at(14 * DAY) },
  )
}

function rotate(presented: string, now: Date, leewaySeconds = 5) {
  const next = newToken()
  return db.sessions
    .rotate({
      presentedHash: hashOf(presented),
      next: {
        id: newId(),
        tokenHash: hashOf(next),
        createdAt: now,
        expiresAt: new Date(now.getTime() + 14 * DAY * 1000),
      },
      now,
      reuseLeewayMs: leewaySeconds * 1000,
    })
    .then((outcome) => ({ outcome, next }))
}

describe(`sessions and refresh-token rotation on ${testDialect()}`, () => {
  it('rotates a live token: the old one is spent, the new one works, last use recorded', async () => {
    const first = newToken()
    const s = await session(await userId(), first)
    const a = await rotate(first, at(60))
    expect(a.outcome).toMatchObject({ kind: 'rotated', retry: false })
    if (a.outcome.kind !== 'rotated') throw new Error('unreachable')
    expect(a.outcome.session.lastUsedAt).toEqual(at(60))
    const b = await rotate(a.next, at(120))
    expect(b.outcome.kind).toBe('rotated')
    expect((await db.sessions.findById(s.id))?.revokedAt).toBeNull()
  })

  it('refuses an unknown token and a token past its idle lifetime', async () => {
    expect((await rotate(newToken(), at(1))).outcome).toEqual({ kind: 'invalid' })
    const first = newToken()
    await session(await userId(), first)
    expect((await rotate(first, at(14 * DAY + 1))).outcome).toEqual({ kind: 'invalid' })
  })

  it('never extends a session past its absolute lifetime', async () => {
    const first = newToken()
    await session(await userId(), first, 1)
    const r = await rotate(first, at(60))
    if (r.outcome.kind !== 'rotated') throw new Error('expected rotation')
    expect(r.outcome.expiresAt).toEqual(at(DAY))
    expect((await rotate(r.next, at(DAY + 1))).outcome).toEqual({ kind: 'invalid' })
  })

  it('treats a rotated token presented after the leeway as reuse and revokes the session', async () => {
    const first = newToken()
    const s = await session(await userId(), first)
    const a = await rotate(first, at(10))
    const replay = await rotate(first, at(20))
    expect(replay.outcome.kind).toBe('reused')
    const after = await db.sessions.findById(s.id)
    expect(after?.revokedAt).toEqual(at(20))
    expect(after?.revokedReason).toBe('refresh_token_reuse')
    // the legitimate holder's newer token dies with the session
    expect((await rotate(a.next, at(21))).outcome).toEqual({ kind: 'invalid' })
  })

  it('lets a retry within the leeway through, leaving exactly one live token', async () => {
    const first = newToken()
    await session(await userId(), first)
    const a = await rotate(first, at(10))
    const retry = await rotate(first, at(12))
    expect(retry.outcome).toMatchObject({ kind: 'rotated', retry: true })
    // the successor the client never received is superseded; the retry's token is the live one
    expect((await rotate(retry.next, at(13))).outcome.kind).toBe('rotated')
    expect((await rotate(a.next, at(100))).outcome.kind).toBe('reused')
  })

  it.runIf(testDialect() === 'postgres')(
    'PostgreSQL: a retry while the live token is being rotated waits its turn, no deadlock',
    async () => {
      const first = newToken()
      const s = await session(await userId(), first)
      const a = await rotate(first, at(10))
      if (testDb.target.dialect !== 'postgres') return
      const other = postgres(testDb.target.url, { max: 1, onnotice: () => {} })
      try {
        // Another request is rotating the live token: it holds that token's row, and is about
        // to lock the session.
        const holder = other.begin(async (sql) => {
          await sql`select id from refresh_tokens where token_hash = ${hashOf(a.next)} for update`
          // Meanwhile the client retries with the old token (within the leeway).
          const retry = rotate(first, at(11), 60)
          await new Promise((resolve) => setTimeout(resolve, 200))
          // The session must still be free: the retry waits on the live token, not holding it.
          await sql`set local lock_timeout = '500ms'`
          await sql`select id from sessions where id = ${s.id} for update`
          // Wrapped: the transaction must commit (releasing its locks) before the retry can end.
          return { retry }
        })
        const retry = await (await holder).retry
        expect(retry.outcome).toMatchObject({ kind: 'rotated', retry: true })
      } finally {
        await other.end({ timeout: 1 })
      }
    },
  )

  it('resolves 20 concurrent rotations of one token (no leeway) to at most one success', async () => {
    const first = newToken()
    const s = await session(await userId(), first)
    const results = await Promise.all(Array.from({ length: 20 }, () => rotate(first, at(30), 0)))
    const rotated = results.filter((r) => r.outcome.kind === 'rotated')
    expect(rotated.length).toBeLessThanOrEqual(1)
    const after = await db.sessions.findById(s.id)
    if (after?.revokedAt === null) {
      // not revoked: exactly one token may still be live, the winner's
      const live = await Promise.all(results.map((r) => rotate(r.next, at(31), 0)))
      expect(live.filter((r) => r.outcome.kind === 'rotated').length).toBe(1)
    } else {
      expect(after?.revokedReason).toBe('refresh_token_reuse')
    }
  })

  it('resolves two concurrent rotations of one live token to one rotation and one retry', async () => {
    const first = newToken()
    await session(await userId(), first)
    const [a, b] = await Promise.all([rotate(first, at(30)), rotate(first, at(30))])
    const outcomes = [a.outcome, b.outcome]
    // one rotates the live token, the other finds it rotated and is judged a retry (within
    // the leeway): it supersedes the winner's token, so only its own stays live
    expect(outcomes.map((o) => o.kind === 'rotated' && o.retry).sort()).toEqual([false, true])
    const retried = outcomes[0]?.kind === 'rotated' && outcomes[0].retry ? a : b
    const won = retried === a ? b : a
    expect((await rotate(retried.next, at(31))).outcome.kind).toBe('rotated')
    expect((await rotate(won.next, at(100))).outcome.kind).toBe('reused')
  })

  it('resolves two concurrent rotations of one live token (no leeway) to one rotation and reuse', async () => {
    const first = newToken()
    const s = await session(await userId(), first)
    const [a, b] = await Promise.all([rotate(first, at(30), 0), rotate(first, at(30), 0)])
    expect([a.outcome.kind, b.outcome.kind].sort()).toEqual(['reused', 'rotated'])
    const after = await db.sessions.findById(s.id)
    expect(after?.revokedReason).toBe('refresh_token_reuse')
  })

  it('rotates with the session’s user when it read it, and the session as stored', async () => {
    const owner = await userId()
    const first = newToken()
    const s = await db.sessions.create(
      {
        id: newId(),
        userId: owner,
        createdAt: t0,
        lastUsedAt: t0,
        expiresAt: at(30 * DAY),
        userAgent: 'vitest',
        ip: '203.0.113.5',
        amr: 'pwd otp mfa',
      },
      { id: newId(), tokenHash: hashOf(first), createdAt: t0, expiresAt: at(14 * DAY) },
    )
    const { outcome } = await rotate(first, at(60))
    if (outcome.kind !== 'rotated') throw new Error('expected rotation')
    expect(outcome.session).toEqual({ ...s, lastUsedAt: at(60) })
    // as the query builder reads it back, every column
    expect(outcome.session).toEqual(await db.sessions.findById(s.id))
    expect(s).toEqual({ ...(await db.sessions.findById(s.id)), lastUsedAt: t0 })
    expect(outcome.expiresAt).toEqual(at(60 + 14 * DAY))
    if (outcome.user) expect(outcome.user).toEqual({ id: owner, role: 'user', isActive: true })
    if (testDialect() === 'postgres') expect(outcome.user).toBeDefined()
  })

  it('creates a session with its first token or not at all', async () => {
    const owner = await userId()
    const token = newToken()
    await session(owner, token)
    // a second session whose first token collides with a stored one: neither row is kept
    const id = newId()
    await expect(
      db.sessions.create(
        { id, userId: owner, createdAt: t0, lastUsedAt: t0, expiresAt: at(DAY) },
        { id: newId(), tokenHash: hashOf(token), createdAt: t0, expiresAt: at(DAY) },
      ),
    ).rejects.toBeInstanceOf(UniqueViolationError)
    expect(await db.sessions.findById(id)).toBeUndefined()
  })

  it('lists a user’s active sessions newest first and revokes one, all, or all but one', async () => {
    const owner = await userId()
    const s1 = await session(owner, newToken())
    const s2 = await db.sessions.create(
      { id: newId(), userId: owner, createdAt: at(5), lastUsedAt: at(5), expiresAt: at(30 * DAY) },
      { id: newId(), tokenHash: hashOf(newToken()), createdAt: at(5), expiresAt: at(14 * DAY) },
    )
    const s3 = await session(owner, newToken())
    expect((await db.sessions.listActive(owner, at(10))).map((s) => s.id)[0]).toBe(s2.id)

    expect(await db.sessions.revoke(s1.id, { now: at(11), reason: 'logout' })).toBe(true)
    expect(await db.sessions.revoke(s1.id, { now: at(12), reason: 'logout' })).toBe(false)
    expect(
      await db.sessions.revokeAllForUser(owner, {
        now: at(13),
        reason: 'password_change',
        exceptSessionId: s3.id,
      }),
    ).toBe(1)
    expect((await db.sessions.listActive(owner, at(14))).map((s) => s.id)).toEqual([s3.id])
    expect(await db.sessions.revokeAllForUser(owner, { now: at(15), reason: 'logout_all' })).toBe(1)
    expect(await db.sessions.listActive(owner, at(16))).toEqual([])
  })

  it('revokes the session a refresh token belongs to (logout), and ignores unknown tokens', async () => {
    const token = newToken()
    const s = await session(await userId(), token)
    const revoked = await db.sessions.revokeByRefreshToken(hashOf(token), {
      now: at(1),
      reason: 'logout',
    })
    expect(revoked?.id).toBe(s.id)
    expect(revoked?.revokedReason).toBe('logout')
    expect(
      await db.sessions.revokeByRefreshToken(hashOf(newToken()), { now: at(1), reason: 'logout' }),
    ).toBeUndefined()
  })

  it('removes sessions and tokens with their user (cascade)', async () => {
    const owner = await userId()
    const token = newToken()
    const s = await session(owner, token)
    await db.users.delete(owner)
    expect(await db.sessions.findById(s.id)).toBeUndefined()
    expect((await rotate(token, at(1))).outcome).toEqual({ kind: 'invalid' })
  })
})
