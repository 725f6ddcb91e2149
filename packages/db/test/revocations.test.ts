/**
 * The revocation feed's rows: every way a session ends appends one in the same transaction,
 * ids only grow (a reader's cursor never skips a row, even with concurrent writers), and old
 * rows are pruned.
 */
import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, newId, openDatabase } from '../src/index.js'
import { createTestDatabase, type TestDatabase } from '../src/testing.js'

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
const hashOf = (token: string) => createHash('sha256').update(token).digest('base64url')

async function userId() {
  const user = await db.users.create({
    id: newId(),
    email: `${newId()}@example.com`,
    createdAt: t0,
    updatedAt: t0,
  })
  return user.id
}

async function session(owner: string, token = randomBytes(32).toString('base64url')) {
  const created = await db.sessions.create(
    {
      id: newId(),
      userId: owner,
      createdAt: t0,
      lastUsedAt: t0,
      expiresAt: at(30 * 86_400),
      userAgent: 'vitest',
      ip: '203.0.113.5',
    },
    { id: newId(), tokenHash: hashOf(token), createdAt: t0, expiresAt: at(14 * 86_400) },
  )
  return { id: created.id, token }
}

describe('revocation feed rows', () => {
  it('appends one row per session ended: revoke, by refresh token, all for a user', async () => {
    const start = await db.revocations.latestId()
    const owner = await userId()
    const [a, b, c, d] = [
      await session(owner),
      await session(owner),
      await session(owner),
      await session(owner),
    ]
    expect(await db.sessions.revoke(a.id, { now: at(10), reason: 'logout' })).toBe(true)
    // Ending an ended session appends nothing.
    expect(await db.sessions.revoke(a.id, { now: at(11), reason: 'logout' })).toBe(false)
    await db.sessions.revokeByRefreshToken(hashOf(b.token), { now: at(12), reason: 'logout' })
    expect(
      await db.sessions.revokeAllForUser(owner, {
        now: at(13),
        reason: 'password_changed',
        exceptSessionId: d.id,
      }),
    ).toBe(1)
    const rows = await db.revocations.after(start, 100)
    expect(rows.map((r) => [r.kind, r.subjectId, r.userId, r.revokedAt.toISOString()])).toEqual([
      ['session', a.id, owner, at(10).toISOString()],
      ['session', b.id, owner, at(12).toISOString()],
      ['session', c.id, owner, at(13).toISOString()],
    ])
    expect(rows.every((r, i) => i === 0 || r.id > (rows[i - 1]?.id ?? 0))).toBe(true)
    expect(await db.revocations.latestId()).toBe(rows.at(-1)?.id)
  })

  it('appends the session a reused refresh token ends', async () => {
    const start = await db.revocations.latestId()
    const owner = await userId()
    const s = await session(owner)
    const next = (now: Date) => ({
      id: newId(),
      tokenHash: hashOf(randomBytes(32).toString('base64url')),
      createdAt: now,
      expiresAt: at(14 * 86_400),
    })
    const rotateAt = (now: Date) =>
      db.sessions.rotate({
        presentedHash: hashOf(s.token),
        next: next(now),
        now,
        reuseLeewayMs: 0,
      })
    expect((await rotateAt(at(20))).kind).toBe('rotated')
    expect((await rotateAt(at(30))).kind).toBe('reused')
    // Presented a third time: the session is already ended; nothing more to tell.
    expect((await rotateAt(at(40))).kind).not.toBe('rotated')
    const rows = await db.revocations.after(start, 100)
    expect(rows.map((r) => [r.subjectId, r.revokedAt.toISOString()])).toEqual([
      [s.id, at(30).toISOString()],
    ])
  })

  it('appends user rows, serves them in id order from a cursor, and prunes old ones', async () => {
    const owner = await userId()
    const start = await db.revocations.latestId()
    // Concurrent appends: whatever order they commit in, ids are unique and increasing.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db.revocations.append([
          { kind: 'user', subjectId: owner, userId: owner, revokedAt: at(100 + i) },
        ]),
      ),
    )
    const page1 = await db.revocations.after(start, 15)
    const page2 = await db.revocations.after(page1.at(-1)?.id ?? 0, 15)
    expect(page1).toHaveLength(15)
    expect(page2).toHaveLength(5)
    const ids = [...page1, ...page2].map((r) => r.id)
    expect(new Set(ids).size).toBe(20)
    expect([...ids].sort((x, y) => x - y)).toEqual(ids)
    expect(page2.every((r) => r.kind === 'user' && r.subjectId === owner)).toBe(true)

    const pruned = await db.revocations.pruneBefore(at(110))
    expect(pruned).toBeGreaterThanOrEqual(10)
    const left = await db.revocations.after(start, 100)
    expect(left.map((r) => r.revokedAt.getTime()).every((ms) => ms >= at(110).getTime())).toBe(true)
    expect(left).toHaveLength(10)
    expect(await db.revocations.oldestId()).toBe(left[0]?.id)
  })
})
