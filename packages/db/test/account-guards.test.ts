/**
 * The storage side of the account rules: accounts without an address, the guard that keeps an
 * active admin, and the bulk removals a takeover of a pre-hijacked account needs. Run once per
 * dialect, on a database of its own.
 */
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

const t0 = new Date('2026-01-01T00:00:00.000Z')
const user = (email: string | null, extra: { role?: string; isActive?: boolean } = {}) =>
  db.users.create({ id: newId(), email, createdAt: t0, updatedAt: t0, ...extra })

describe(`account storage rules on ${testDialect()}`, () => {
  it('keeps any number of accounts without an address, and one per address', async () => {
    const a = await user(null)
    const b = await user(null)
    expect(a.email).toBeNull()
    expect(b.email).toBeNull()
    const withAddress = await db.users.update(a.id, { email: 'later@example.com', updatedAt: t0 })
    expect(withAddress?.email).toBe('later@example.com')
    await expect(
      db.users.update(b.id, { email: 'later@example.com', updatedAt: t0 }),
    ).rejects.toMatchObject({ code: 'unique_violation', constraint: 'users_email_key' })
  })

  it('refuses to demote, deactivate or delete the last active admin, and allows it with another', async () => {
    // This file's only admins, so the count is this test's own.
    const first = await user('admin1@example.com', { role: 'admin' })
    const inactive = await user('admin-off@example.com', { role: 'admin', isActive: false })
    expect(inactive.isActive).toBe(false)
    for (const patch of [{ role: 'user' }, { isActive: false }]) {
      expect(await db.users.updateKeepingAnAdmin(first.id, { ...patch, updatedAt: t0 })).toBe(
        'last_admin',
      )
    }
    expect(await db.users.deleteKeepingAnAdmin(first.id)).toBe('last_admin')
    // A harmless change to the last admin goes through.
    const renamed = await db.users.updateKeepingAnAdmin(first.id, { name: 'Ops', updatedAt: t0 })
    expect(renamed).toMatchObject({ name: 'Ops', role: 'admin' })
    expect((await db.users.findById(first.id))?.role).toBe('admin')

    const second = await user('admin2@example.com', { role: 'admin' })
    const demoted = await db.users.updateKeepingAnAdmin(first.id, { role: 'user', updatedAt: t0 })
    expect(demoted).toMatchObject({ role: 'user' })
    expect(await db.users.deleteKeepingAnAdmin(second.id)).toBe('last_admin')
    expect(
      await db.users.updateKeepingAnAdmin(newId(), { name: 'x', updatedAt: t0 }),
    ).toBeUndefined()
    expect(await db.users.deleteKeepingAnAdmin(newId())).toBe(false)
    // Back to two admins for the race below.
    await db.users.update(first.id, { role: 'admin', updatedAt: t0 })
  })

  it('lets exactly one of two admins demoting each other at once win', async () => {
    const admins = await db.users.list({ limit: 100, role: 'admin', isActive: true })
    expect(admins).toHaveLength(2)
    const [a, b] = admins as [(typeof admins)[0], (typeof admins)[0]]
    const results = await Promise.all([
      db.users.updateKeepingAnAdmin(a.id, { role: 'user', updatedAt: t0 }),
      db.users.updateKeepingAnAdmin(b.id, { role: 'user', updatedAt: t0 }),
    ])
    expect(results.filter((r) => r === 'last_admin')).toHaveLength(1)
    expect(await db.users.list({ limit: 100, role: 'admin', isActive: true })).toHaveLength(1)
  })

  it('unlinks every identity of one user, and voids only the purposes asked for', async () => {
    const owner = await user('claimed@example.com')
    const other = await user('bystander@example.com')
    for (const [userId, provider] of [
      [owner.id, 'github'],
      [owner.id, 'yandex'],
      [other.id, 'github'],
    ] as const) {
      await db.identities.create({
        id: newId(),
        userId,
        provider,
        providerUserId: `${provider}-${userId}`,
        email: null,
        createdAt: t0,
      })
    }
    expect(await db.identities.deleteAllForUser(owner.id)).toBe(2)
    expect(await db.identities.listForUser(owner.id)).toEqual([])
    expect(await db.identities.listForUser(other.id)).toHaveLength(1)

    const token = (userId: string, purpose: 'password_reset' | 'email_verify', hash: string) =>
      db.oneTimeTokens.issue({
        id: newId(),
        userId,
        purpose,
        tokenHash: hash,
        createdAt: t0,
        expiresAt: new Date(t0.getTime() + 3_600_000),
      })
    await token(owner.id, 'password_reset', 'reset-owner')
    await token(owner.id, 'email_verify', 'verify-owner')
    await token(other.id, 'password_reset', 'reset-other')
    const later = new Date(t0.getTime() + 1000)
    expect(await db.oneTimeTokens.voidForUser(owner.id, ['password_reset'], later)).toBe(1)
    expect(
      await db.oneTimeTokens.findActive('reset-owner', 'password_reset', later),
    ).toBeUndefined()
    expect(await db.oneTimeTokens.findActive('verify-owner', 'email_verify', later)).toBeDefined()
    expect(await db.oneTimeTokens.findActive('reset-other', 'password_reset', later)).toBeDefined()
    expect(await db.oneTimeTokens.voidForUser(owner.id, [], later)).toBe(0)
  })
})
