/**
 * The repositories' contract: one suite, run once per dialect (TEST_DB=sqlite|postgres). Each
 * file gets its own freshly migrated database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Database,
  migrateDatabase,
  newId,
  openDatabase,
  UniqueViolationError,
} from '../src/index.js'
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
const at = (ms: number) => new Date(t0.getTime() + ms)

function newUser(email: string) {
  return { id: newId(), email, createdAt: t0, updatedAt: t0 }
}

describe(`repositories on ${testDialect()}`, () => {
  it('runs on the dialect the run asked for', () => {
    expect(db.dialect).toBe(testDialect())
  })

  it('answers a ping', async () => {
    await expect(db.ping()).resolves.toBeUndefined()
  })

  it('re-running the migrations applies nothing and keeps the data', async () => {
    const user = await db.users.create(newUser('keep@example.com'))
    const result = await migrateDatabase(testDb.target)
    expect(result).toMatchObject({ applied: 0 })
    expect(result.total).toBeGreaterThan(0)
    expect(await db.users.findById(user.id)).toBeDefined()
  })

  describe('users', () => {
    it('creates a user with the schema defaults and reads it back by id and email', async () => {
      const created = await db.users.create(newUser('ada@example.com'))
      expect(created).toMatchObject({
        email: 'ada@example.com',
        emailVerified: false,
        passwordHash: null,
        role: 'user',
        isActive: true,
      })
      expect(created.createdAt).toEqual(t0)
      expect(await db.users.findById(created.id)).toEqual(created)
      expect(await db.users.findByEmail('ada@example.com')).toEqual(created)
      expect(await db.users.findByEmail('nobody@example.com')).toBeUndefined()
    })

    it('refuses a second account for the same email with a translated unique violation', async () => {
      await db.users.create(newUser('twice@example.com'))
      const second = db.users.create(newUser('twice@example.com'))
      await expect(second).rejects.toBeInstanceOf(UniqueViolationError)
      await expect(db.users.create(newUser('twice@example.com'))).rejects.toMatchObject({
        code: 'unique_violation',
        constraint: 'users_email_key',
      })
    })

    it('keeps millisecond timestamps exact', async () => {
      const stamp = new Date('2026-03-04T05:06:07.891Z')
      const created = await db.users.create({ ...newUser('ms@example.com'), createdAt: stamp })
      expect((await db.users.findById(created.id))?.createdAt.toISOString()).toBe(
        '2026-03-04T05:06:07.891Z',
      )
    })

    it('updates only the given fields and reports a missing user', async () => {
      const user = await db.users.create(newUser('patch@example.com'))
      const updated = await db.users.update(user.id, {
        name: 'Patched',
        role: 'admin',
        isActive: false,
        updatedAt: at(1000),
      })
      expect(updated).toMatchObject({ name: 'Patched', role: 'admin', isActive: false })
      expect(updated?.updatedAt).toEqual(at(1000))
      expect(updated?.email).toBe('patch@example.com')
      expect(await db.users.update(newId(), { name: 'x', updatedAt: t0 })).toBeUndefined()
    })

    it('deletes a user once', async () => {
      const user = await db.users.create(newUser('gone@example.com'))
      expect(await db.users.delete(user.id)).toBe(true)
      expect(await db.users.delete(user.id)).toBe(false)
      expect(await db.users.findById(user.id)).toBeUndefined()
    })
  })

  describe('imported users', () => {
    it('inserts a batch of users and identities at once, found again by legacy id and email', async () => {
      const a = {
        ...newUser('batch-a@example.com'),
        legacyId: 'django:1',
        passwordHash: 'pbkdf2_sha256$1$s$h',
      }
      const b = { ...newUser('batch-b@example.com'), legacyId: 'django:2', lastLoginAt: at(5) }
      const identity = {
        id: newId(),
        userId: b.id,
        provider: 'github',
        providerUserId: 'gh-batch-b',
        email: null,
        createdAt: t0,
      }
      await db.users.createMany([a, b], [identity])
      const found = await db.users.findByLegacyIds(['django:1', 'django:2', 'django:3'])
      expect(found.map((u) => u.legacyId).sort()).toEqual(['django:1', 'django:2'])
      expect(found.find((u) => u.id === b.id)?.lastLoginAt).toEqual(at(5))
      expect(
        (await db.users.findByEmails(['batch-a@example.com', 'nobody@example.com'])).map(
          (u) => u.id,
        ),
      ).toEqual([a.id])
      expect((await db.identities.listForUsers([a.id, b.id])).map((i) => i.providerUserId)).toEqual(
        ['gh-batch-b'],
      )
      expect(await db.users.findByLegacyIds([])).toEqual([])
    })

    it('rolls the whole batch back when one row is refused', async () => {
      await db.users.create(newUser('taken-batch@example.com'))
      const fresh = { ...newUser('fresh-batch@example.com'), legacyId: 'django:10' }
      const clash = { ...newUser('taken-batch@example.com'), legacyId: 'django:11' }
      await expect(db.users.createMany([fresh, clash], [])).rejects.toMatchObject({
        constraint: 'users_email_key',
      })
      expect(await db.users.findById(fresh.id)).toBeUndefined()
      const again = { ...newUser('again-batch@example.com'), legacyId: 'django:1' }
      await expect(db.users.createMany([again], [])).rejects.toMatchObject({
        constraint: 'users_legacy_id_key',
      })
    })

    it('records a sign-in without touching updated_at', async () => {
      const user = await db.users.create(newUser('signin@example.com'))
      await db.users.recordSignIn(user.id, at(9000))
      const read = await db.users.findById(user.id)
      expect(read?.lastLoginAt).toEqual(at(9000))
      expect(read?.updatedAt).toEqual(t0)
    })
  })

  describe('signing keys', () => {
    const key = (kid: string, activatesAt: Date) => ({
      kid,
      alg: 'RS256',
      publicJwk: '{}',
      privateKeyEnc: 'enc',
      createdAt: t0,
      activatesAt,
    })

    it('publishes next, active and not-yet-expired retired keys, and drops expired ones', async () => {
      await db.signingKeys.insert(key('k-old', at(0)))
      await db.signingKeys.insert(key('k-mid', at(10)))
      const retired = await db.signingKeys.retireOthers('k-mid', {
        now: at(15),
        retiredAt: at(20),
        publishedUntil: at(100),
      })
      expect(retired.map((k) => k.kid)).toEqual(['k-old'])
      await db.signingKeys.insert(key('k-next', at(50)))

      const during = await db.signingKeys.listPublished(at(30))
      expect(during.map((k) => k.kid)).toEqual(['k-old', 'k-mid', 'k-next'])

      const after = await db.signingKeys.listPublished(at(100))
      expect(after.map((k) => k.kid)).toEqual(['k-mid', 'k-next'])
      expect((await db.signingKeys.list()).length).toBe(3)
    })

    it('unpublishes at once a waiting key that a newer rotation supersedes before it signs', async () => {
      // Later than the other keys of this file. A signs; rotation 1 publishes B (activating at
      // +1000); rotation 2, at +10, publishes C.
      await db.signingKeys.insert(key('s-a', at(100000)))
      await db.signingKeys.insert(key('s-b', at(101000)))
      await db.signingKeys.retireOthers('s-b', {
        now: at(100000),
        retiredAt: at(101000),
        publishedUntil: at(105000),
      })
      await db.signingKeys.insert(key('s-c', at(101010)))
      const changed = await db.signingKeys.retireOthers('s-c', {
        now: at(100010),
        retiredAt: at(101010),
        publishedUntil: at(106000),
      })
      // (The keys of the test above are retired too: every key is another key here.)
      const mine = changed.map((k) => k.kid).filter((kid) => kid.startsWith('s-'))
      expect(mine.sort()).toEqual(['s-a', 's-b'])
      const byKid = new Map((await db.signingKeys.list()).map((k) => [k.kid, k]))
      // A keeps signing until C takes over: no gap without a signing key.
      expect(byKid.get('s-a')?.retiredAt).toEqual(at(101010))
      // B never signs (retired at its own activation) and is gone from the JWKS now.
      expect(byKid.get('s-b')?.retiredAt).toEqual(at(101000))
      const published = (await db.signingKeys.listPublished(at(100011))).map((k) => k.kid)
      expect(published).toContain('s-a')
      expect(published).toContain('s-c')
      expect(published).not.toContain('s-b')
    })

    it('refuses a duplicate kid', async () => {
      await db.signingKeys.insert(key('k-dup', t0))
      await expect(db.signingKeys.insert(key('k-dup', t0))).rejects.toBeInstanceOf(
        UniqueViolationError,
      )
    })
  })

  describe('audit events', () => {
    it('records events and lists a user’s newest first', async () => {
      const userId = newId()
      for (const [i, type] of ['login_failed', 'login_succeeded'].entries()) {
        await db.auditEvents.record({
          id: newId(),
          type,
          userId,
          ip: '203.0.113.9',
          data: JSON.stringify({ i }),
          createdAt: at(i * 1000),
        })
      }
      const events = await db.auditEvents.listForUser(userId, 10)
      expect(events.map((e) => e.type)).toEqual(['login_succeeded', 'login_failed'])
      expect(events[0]?.ip).toBe('203.0.113.9')
      expect(await db.auditEvents.listForUser(newId(), 10)).toEqual([])
    })

    it('pages through every event exactly once, newest first, when many share a time', async () => {
      const userId = newId()
      const other = newId()
      // Three events per millisecond: the page boundary falls inside a tie on created_at.
      const made: { id: string; type: string; userId: string; createdAt: Date }[] = []
      for (let i = 0; i < 12; i++) {
        const event = {
          id: newId(),
          type: i % 2 === 0 ? 'login_failed' : 'login_succeeded',
          userId: i % 4 === 3 ? other : userId,
          createdAt: at(10_000 + Math.floor(i / 3)),
        }
        made.push(event)
        await db.auditEvents.record({ ...event, ip: '203.0.113.9', requestId: `req-${i}` })
      }
      const expected = [...made]
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
        .map((e) => e.id)

      const seen: string[] = []
      let after: { id: string; createdAt: Date } | undefined
      for (;;) {
        const page = await db.auditEvents.list({
          limit: 5,
          since: at(10_000),
          until: at(10_004),
          after,
        })
        seen.push(...page.map((e) => e.id))
        const last = page.at(-1)
        if (page.length < 5 || !last) break
        after = last
      }
      expect(seen).toEqual(expected)
      expect(new Set(seen).size).toBe(12)
      expect(await db.auditEvents.findById(expected[0] ?? '')).toMatchObject({
        ip: '203.0.113.9',
        userId: made.find((e) => e.id === expected[0])?.userId,
      })
      expect(await db.auditEvents.findById(newId())).toBeUndefined()
    })

    it('combines the user, type and time filters; since is inclusive, until exclusive', async () => {
      const userId = newId()
      const types = ['login_failed', 'login_succeeded', 'mfa_failed', 'login_failed']
      const ids: string[] = []
      for (const [i, type] of types.entries()) {
        const id = newId()
        ids.push(id)
        await db.auditEvents.record({ id, type, userId, createdAt: at(20_000 + i * 1000) })
      }
      await db.auditEvents.record({
        id: newId(),
        type: 'login_failed',
        userId: newId(),
        createdAt: at(21_000),
      })
      const list = async (query: Omit<Parameters<typeof db.auditEvents.list>[0], 'limit'>) =>
        (await db.auditEvents.list({ limit: 50, ...query })).map((e) => e.id)

      expect(await list({ userId })).toEqual([...ids].reverse())
      expect(await list({ userId, types: ['login_failed'] })).toEqual([ids[3], ids[0]])
      expect(await list({ userId, types: ['login_failed', 'mfa_failed'] })).toEqual([
        ids[3],
        ids[2],
        ids[0],
      ])
      expect(await list({ userId, since: at(21_000), until: at(23_000) })).toEqual([ids[2], ids[1]])
      expect(
        await list({ userId, types: ['login_failed'], since: at(20_000), until: at(23_000) }),
      ).toEqual([ids[0]])
      // Without the user filter, the other user's event in the window shows up too.
      expect(
        (await list({ types: ['login_failed'], since: at(21_000), until: at(22_000) })).length,
      ).toBe(1)
      expect(await list({ userId, types: [] })).toEqual([...ids].reverse())
    })
  })
})

describe(`user listing on ${testDialect()}`, () => {
  it('pages in creation order with a cursor and filters by email prefix, role and activity', async () => {
    const prefix = `page${Date.now()}`
    const made = []
    for (let i = 0; i < 5; i++) {
      made.push(
        await db.users.create({
          ...newUser(`${prefix}.${i}@example.com`),
          role: i === 4 ? 'admin' : 'user',
          isActive: i !== 3,
        }),
      )
    }
    const first = await db.users.list({ limit: 2, emailPrefix: prefix })
    expect(first.map((u) => u.email)).toEqual([
      `${prefix}.0@example.com`,
      `${prefix}.1@example.com`,
    ])
    const second = await db.users.list({ limit: 2, emailPrefix: prefix, afterId: first[1]?.id })
    expect(second.map((u) => u.email)).toEqual([
      `${prefix}.2@example.com`,
      `${prefix}.3@example.com`,
    ])
    expect(
      (await db.users.list({ limit: 10, emailPrefix: prefix, role: 'admin' })).map((u) => u.id),
    ).toEqual([made[4]?.id])
    expect(
      (await db.users.list({ limit: 10, emailPrefix: prefix, isActive: false })).map((u) => u.id),
    ).toEqual([made[3]?.id])
  })

  it('treats % and _ in an email prefix literally', async () => {
    await db.users.create(newUser('under_score@example.com'))
    await db.users.create(newUser('underXscore@example.com'))
    expect((await db.users.list({ limit: 10, emailPrefix: 'under_' })).map((u) => u.email)).toEqual(
      ['under_score@example.com'],
    )
    expect(await db.users.list({ limit: 10, emailPrefix: '%' })).toEqual([])
  })
})

describe(`identities on ${testDialect()}`, () => {
  it('links providers to a user, one identity per provider account', async () => {
    const user = await db.users.create(newUser(`linked${Date.now()}@example.com`))
    await db.identities.create({
      id: newId(),
      userId: user.id,
      provider: 'github',
      providerUserId: '42',
      email: user.email,
      createdAt: t0,
    })
    expect((await db.identities.listForUser(user.id)).map((i) => i.provider)).toEqual(['github'])
    const other = await db.users.create(newUser(`other${Date.now()}@example.com`))
    await expect(
      db.identities.create({
        id: newId(),
        userId: other.id,
        provider: 'github',
        providerUserId: '42',
        createdAt: t0,
      }),
    ).rejects.toMatchObject({
      code: 'unique_violation',
      constraint: 'identities_provider_user_key',
    })
  })
})
