/** The client registry's storage, on the run's dialect. */
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

const t0 = new Date('2026-06-01T00:00:00.000Z')
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000)
const client = (name: string) => ({
  id: newId(),
  name,
  secretHash: `hash-of-${name}`,
  createdAt: t0,
  updatedAt: t0,
})

describe(`clients on ${testDialect()}`, () => {
  it('registers with the declared defaults, reads, pages in creation order', async () => {
    const a = await db.clients.create(client('a'))
    const b = await db.clients.create(client('b'))
    expect(a).toMatchObject({ scopes: '', audiences: '', disabled: false, lastUsedAt: null })
    expect(await db.clients.findById(a.id)).toEqual(a)
    expect((await db.clients.list({ limit: 10 })).map((c) => c.id)).toEqual([a.id, b.id])
    expect((await db.clients.list({ afterId: a.id, limit: 10 })).map((c) => c.id)).toEqual([b.id])
  })

  it('updates, records a use at most once per period, and deletes', async () => {
    const c = await db.clients.create(client('c'))
    const updated = await db.clients.update(c.id, {
      scopes: 'users:read',
      disabled: true,
      updatedAt: at(1),
    })
    expect(updated).toMatchObject({ scopes: 'users:read', disabled: true, updatedAt: at(1) })
    await db.clients.touch(c.id, at(10), at(-50))
    expect((await db.clients.findById(c.id))?.lastUsedAt).toEqual(at(10))
    // Used again 30 s later, within the minute: not written again.
    await db.clients.touch(c.id, at(40), at(-20))
    expect((await db.clients.findById(c.id))?.lastUsedAt).toEqual(at(10))
    await db.clients.touch(c.id, at(80), at(20))
    expect((await db.clients.findById(c.id))?.lastUsedAt).toEqual(at(80))
    expect(await db.clients.delete(c.id)).toBe(true)
    expect(await db.clients.delete(c.id)).toBe(false)
    expect(await db.clients.update(c.id, { name: 'x', updatedAt: t0 })).toBeUndefined()
  })
})
