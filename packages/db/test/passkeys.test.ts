/** Passkeys' storage on the run's dialect: credentials, the counter's once, single-use challenges. */
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

const t0 = new Date('2026-06-01T00:00:00.000Z')
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000)

async function user(): Promise<string> {
  const id = newId()
  await db.users.create({
    id,
    email: `${id}@example.com`,
    passwordHash: null,
    createdAt: t0,
    updatedAt: t0,
  })
  return id
}
const passkey = (userId: string, credentialId = newId()) => ({
  id: newId(),
  userId,
  credentialId,
  publicKey: 'pk',
  signCount: 4_000_000_000, // above 2^31: the counter is unsigned 32-bit
  transports: 'internal hybrid',
  backupEligible: true,
  backedUp: false,
  name: 'Laptop',
  createdAt: t0,
})

describe(`passkeys on ${testDialect()}`, () => {
  it('stores a passkey whole and refuses a credential id stored before', async () => {
    const id = await user()
    const row = passkey(id)
    await db.passkeys.create(row)
    expect(await db.passkeys.findByCredentialId(row.credentialId)).toEqual({
      ...row,
      lastUsedAt: null,
    })
    const again = { ...passkey(await user()), credentialId: row.credentialId }
    await expect(db.passkeys.create(again)).rejects.toBeInstanceOf(UniqueViolationError)
    expect(await db.passkeys.countForUser(id)).toBe(1)
  })

  it("renames and deletes only the user's own passkey", async () => {
    const [owner, other] = [await user(), await user()]
    const row = passkey(owner)
    await db.passkeys.create(row)
    expect(await db.passkeys.rename(other, row.id, 'Mine now')).toBeUndefined()
    expect(await db.passkeys.delete(other, row.id)).toBe(false)
    expect(await db.passkeys.findForUser(other, row.id)).toBeUndefined()
    expect((await db.passkeys.rename(owner, row.id, 'Phone'))?.name).toBe('Phone')
    expect((await db.passkeys.listForUser(owner)).map((p) => p.name)).toEqual(['Phone'])
    expect(await db.passkeys.delete(owner, row.id)).toBe(true)
    await db.passkeys.create(passkey(owner))
    await db.passkeys.create(passkey(owner))
    await db.passkeys.create(passkey(other))
    expect(await db.passkeys.deleteAllForUser(owner)).toBe(2)
    expect(await db.passkeys.countForUser(other)).toBe(1)
    expect(await db.passkeys.delete(owner, row.id)).toBe(false)
    expect(await db.passkeys.listForUser(owner)).toEqual([])
  })

  it('records a use only while the counter is the one checked: one of two racers wins', async () => {
    const row = passkey(await user())
    await db.passkeys.create(row)
    const use = { previousSignCount: row.signCount, signCount: row.signCount + 1, backedUp: true }
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => db.passkeys.recordUse(row.id, { ...use, at: at(i) })),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
    expect(await db.passkeys.findByCredentialId(row.credentialId)).toMatchObject({
      signCount: row.signCount + 1,
      backedUp: true,
    })
  })

  it('takes a challenge once, for its purpose, before it expires', async () => {
    const id = await user()
    const issue = (challenge: string, userId: string | null, seconds = 0) =>
      db.passkeys.issueChallenge({
        challenge,
        purpose: 'authentication',
        userId,
        createdAt: at(seconds),
        expiresAt: at(seconds + 300),
      })
    await issue('c-1', null)
    await issue('c-2', id)
    await issue('c-3', id)
    expect(await db.passkeys.takeChallenge('c-1', 'registration', at(1))).toBeUndefined()
    const taken = await Promise.all(
      Array.from({ length: 6 }, () => db.passkeys.takeChallenge('c-1', 'authentication', at(1))),
    )
    expect(taken.filter(Boolean)).toEqual([expect.objectContaining({ userId: null })])
    expect(await db.passkeys.takeChallenge('c-2', 'authentication', at(300))).toBeUndefined()
    expect(await db.passkeys.takeChallenge('c-3', 'authentication', at(299))).toMatchObject({
      userId: id,
      purpose: 'authentication',
    })
  })

  it('drops expired challenges when a new one is issued', async () => {
    await db.passkeys.issueChallenge({
      challenge: 'old',
      purpose: 'registration',
      userId: null,
      createdAt: at(0),
      expiresAt: at(300),
    })
    await db.passkeys.issueChallenge({
      challenge: 'new',
      purpose: 'registration',
      userId: null,
      createdAt: at(301),
      expiresAt: at(601),
    })
    // Even with a clock turned back, the old row is gone: it was deleted, not just expired.
    expect(await db.passkeys.takeChallenge('old', 'registration', at(0))).toBeUndefined()
  })
})
