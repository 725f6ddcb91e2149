import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, newId, openDatabase } from '../src/index.js'
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

const t0 = new Date('2026-04-01T00:00:00.000Z')
const at = (s: number) => new Date(t0.getTime() + s * 1000)

async function user() {
  return (
    await db.users.create({
      id: newId(),
      email: `${newId()}@example.com`,
      createdAt: t0,
      updatedAt: t0,
    })
  ).id
}

const token = (userId: string, hash: string, createdAt = t0) => ({
  id: newId(),
  userId,
  purpose: 'password_reset' as const,
  tokenHash: hash,
  createdAt,
  expiresAt: new Date(createdAt.getTime() + 900_000),
})

const mail = (to: string) => ({
  id: newId(),
  kind: 'password_reset',
  toAddress: to,
  subject: 'Reset',
  textBody: 'link',
  createdAt: t0,
  nextAttemptAt: t0,
})

describe(`one-time tokens and the outbox on ${testDialect()}`, () => {
  it('issues a token with its mail in one transaction, and spends it once', async () => {
    const owner = await user()
    const before = await db.emailOutbox.pendingCount()
    await db.oneTimeTokens.issue(token(owner, `h-${newId()}-a`), mail('a@example.com'))
    expect(await db.emailOutbox.pendingCount()).toBe(before + 1)
  })

  it('spends a token exactly once, and never after it expires', async () => {
    const owner = await user()
    const hash = `h-${newId()}`
    await db.oneTimeTokens.issue(token(owner, hash))
    const [a, b] = await Promise.all([
      db.oneTimeTokens.consume(hash, 'password_reset', at(10)),
      db.oneTimeTokens.consume(hash, 'password_reset', at(10)),
    ])
    expect([a, b].filter(Boolean)).toHaveLength(1)
    const late = `h-${newId()}`
    await db.oneTimeTokens.issue(token(owner, late))
    expect(await db.oneTimeTokens.consume(late, 'password_reset', at(901))).toBeUndefined()
    expect(await db.oneTimeTokens.consume(late, 'email_verify', at(1))).toBeUndefined()
  })

  it('voids older unused tokens of the same purpose when a new one is issued', async () => {
    const owner = await user()
    const older = `h-${newId()}`
    const newer = `h-${newId()}`
    await db.oneTimeTokens.issue(token(owner, older))
    await db.oneTimeTokens.issue(token(owner, newer, at(5)))
    expect(await db.oneTimeTokens.consume(older, 'password_reset', at(6))).toBeUndefined()
    expect(await db.oneTimeTokens.consume(newer, 'password_reset', at(6))).toBeDefined()
  })

  it('leases due mail to one worker at a time, retries failures later, and counts what is pending', async () => {
    const first = mail('lease@example.com')
    await db.emailOutbox.enqueue(first)
    const [a, b] = await Promise.all([
      db.emailOutbox.claimDue(at(1), 100, at(61)),
      db.emailOutbox.claimDue(at(1), 100, at(61)),
    ])
    const claimedBy = [a, b].filter((batch) => batch.some((m) => m.id === first.id))
    expect(claimedBy).toHaveLength(1)
    // leased: invisible until the lease ends
    expect((await db.emailOutbox.claimDue(at(2), 100, at(62))).some((m) => m.id === first.id)).toBe(
      false,
    )
    await db.emailOutbox.markFailed(first.id, 'ECONNREFUSED', at(120))
    expect(
      (await db.emailOutbox.claimDue(at(100), 100, at(160))).some((m) => m.id === first.id),
    ).toBe(false)
    const retried = await db.emailOutbox.claimDue(at(121), 100, at(181))
    const again = retried.find((m) => m.id === first.id)
    expect(again).toMatchObject({ attempts: 1, lastError: 'ECONNREFUSED' })
    const pending = await db.emailOutbox.pendingCount()
    await db.emailOutbox.markSent(first.id, at(122))
    expect(await db.emailOutbox.pendingCount()).toBe(pending - 1)
    expect(
      (await db.emailOutbox.claimDue(at(999), 100, at(1059))).some((m) => m.id === first.id),
    ).toBe(false)
  })
})
