/**
 * `pnpm manage import-django`, on a database Django itself made (test/support/django_fixture.py):
 * the import runs as an operator runs it (a process), then every imported user signs in over
 * the API with the password Django hashed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { UserRecord } from '@authpair/db'
import { createTestDatabase, type TestDatabase, testDialect } from '@authpair/db/testing'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, randomKek, type TestApp } from './helper.js'
import { type DjangoDatabase, djangoAvailable, makeDjangoDatabase } from './support/django.js'
import { runManage } from './support/manage.js'

const dialect = testDialect()
const available = djangoAvailable('the import-django suite', dialect)
const kek = randomKek()
const cleanups: (() => Promise<void>)[] = []
let django: DjangoDatabase
let dataDir: string

beforeAll(async () => {
  if (!available) return
  django = await makeDjangoDatabase(dialect)
  cleanups.push(() => django.drop())
  dataDir = mkdtempSync(join(tmpdir(), 'authpair-import-'))
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }))
}, 120_000)
afterAll(async () => {
  for (const c of cleanups.reverse()) await c()
})

async function manage(database: TestDatabase, args: string[]) {
  const run = await runManage({ databaseUrl: database.url, dataDir, kek }, args)
  return { ...run, summary: run.out.split('\n').find((l) => /^created /.test(l)) }
}

async function freshDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase()
  cleanups.push(() => database.drop())
  return database
}

async function app(database: TestDatabase): Promise<TestApp> {
  const t = await buildTestApp({ KEY_ENCRYPTION_KEY: kek }, { database })
  cleanups.push(() => t.close())
  return t
}

const login = (t: TestApp, email: string, password: string) =>
  t.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } })

const byEmail = async (t: TestApp, email: string): Promise<UserRecord> => {
  const user = await t.app.db.users.findByEmail(email)
  if (!user) throw new Error(`no user ${email}`)
  return user
}

/** The users Django has that carry over: 15 made, 3 of them skipped (two share an address, one has none). */
const SUMMARY = 'created 12, updated 0, skipped 3, unchanged 0'
const SIGN_IN_WITH_PASSWORD = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
  'grace',
  'root',
  'staff',
]

describe.skipIf(!available)(`import-django on ${dialect}, from a database Django made`, () => {
  let database: TestDatabase
  let t: TestApp

  it('imports what carries over and reports empty and duplicate emails, never merged', async () => {
    database = await freshDatabase()
    const run = await manage(database, ['import-django', '--from', django.source])
    expect(run.code, run.err).toBe(0)
    expect(run.summary).toBe(SUMMARY)
    const { id: dup1 } = django.user('dup1')
    const { id: dup2 } = django.user('dup2')
    expect(run.out).toContain(
      `skipped Django user ${dup1} (dup1): duplicate email dup@example.com (also Django user ${dup2}): not merged`,
    )
    expect(run.out).toContain(
      `skipped Django user ${dup2} (dup2): duplicate email dup@example.com (also Django user ${dup1}): not merged`,
    )
    expect(run.out).toContain(
      `skipped Django user ${django.user('noemail').id} (noemail): empty email`,
    )
    expect(run.out).toContain(
      `(mallory): password hash format md5 is not accepted: imported without a password`,
    )
    expect(run.out).toContain('(bob): facebook account fb-42 not linked: not a provider here')

    t = await app(database)
    const alice = await byEmail(t, 'alice@example.com')
    expect(alice).toMatchObject({
      name: 'Alice Liddell',
      emailVerified: true,
      role: 'user',
      isActive: true,
      legacyId: `django:${django.user('alice').id}`,
      passwordHash: django.user('alice').stored,
    })
    expect(alice.createdAt.toISOString()).toBe('2019-04-01T08:30:00.123Z')
    expect(alice.lastLoginAt?.toISOString()).toBe('2024-11-05T17:45:10.500Z')
    const aliceIds = await t.app.db.identities.listForUser(alice.id)
    expect(aliceIds.map((i) => `${i.provider}:${i.providerUserId}`).sort()).toEqual([
      'github:5551001',
      'google:109876543210',
    ])
    // Normalized as ours are; Django kept the spaces and capitals.
    expect(await byEmail(t, 'carol@example.com')).toMatchObject({ name: 'Danvers' })
    expect(await byEmail(t, 'root@example.com')).toMatchObject({
      role: 'admin',
      emailVerified: true,
    })
    expect(await byEmail(t, 'staff@example.com')).toMatchObject({ role: 'user' })
    expect(await byEmail(t, 'ivan@example.com')).toMatchObject({ isActive: false })
    // Only the verified flag of the account's own address counts.
    expect(await byEmail(t, 'bob@example.com')).toMatchObject({ emailVerified: false })
    expect(await byEmail(t, 'grace@example.com')).toMatchObject({ emailVerified: false })
    const judy = await byEmail(t, 'judy@example.com')
    expect(judy.passwordHash).toBeNull()
    expect((await t.app.db.identities.listForUser(judy.id)).map((i) => i.provider)).toEqual([
      'google',
    ])
    const frank = await byEmail(t, 'frank@example.com')
    expect(await t.app.db.identities.listForUser(frank.id)).toMatchObject([
      { provider: 'yandex', providerUserId: '77001', email: 'frank@yandex.ru' },
    ])
    expect((await byEmail(t, 'mallory@example.com')).passwordHash).toBeNull()
    for (const skipped of ['dup@example.com', '']) {
      expect(await t.app.db.users.findByEmail(skipped)).toBeUndefined()
    }
  }, 60_000)

  it('signs each user in with the password Django hashed; the hash becomes argon2id, audited', async () => {
    for (const username of SIGN_IN_WITH_PASSWORD) {
      const user = django.user(username)
      const email = user.email.trim().toLowerCase()
      const password = user.password ?? ''
      const wrong = await login(t, email, `${password}-not`)
      expect(wrong.statusCode, username).toBe(401)
      expect(wrong.json().code).toBe('invalid_credentials')
      expect((await byEmail(t, email)).passwordHash, username).toBe(user.stored)

      const first = await login(t, email, password)
      expect(first.statusCode, `${username} (${user.hasher}): ${first.body}`).toBe(200)
      const role = decodeJwt(first.json().access_token).role
      expect(role, username).toBe(username === 'root' ? 'admin' : 'user')
      const upgraded = await byEmail(t, email)
      expect(upgraded.passwordHash, username).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
      const scheme = user.hasher === 'argon2i' ? 'argon2' : user.hasher
      const events = await t.app.db.auditEvents.listForUser(upgraded.id, 10)
      const upgrade = events.find((e) => e.type === 'password_hash_upgraded')
      expect(JSON.parse(upgrade?.data ?? '{}'), username).toEqual({
        from: `django_${scheme}`,
        to: 'argon2id',
      })
      expect(upgrade?.data ?? '').not.toContain(user.stored)

      const second = await login(t, email, password)
      expect(second.statusCode, username).toBe(200)
      expect((await byEmail(t, email)).passwordHash).toBe(upgraded.passwordHash)
      expect((await login(t, email, `${password}-not`)).statusCode).toBe(401)
    }
  }, 120_000)

  it('refuses the inactive user (403), the unusable password and the refused md5 hash', async () => {
    const ivan = django.user('ivan')
    const refused = await login(t, 'ivan@example.com', ivan.password ?? '')
    expect(refused.statusCode).toBe(403)
    expect(refused.json().code).toBe('account_disabled')
    // No upgrade for an account that may not sign in.
    expect((await byEmail(t, 'ivan@example.com')).passwordHash).toBe(ivan.stored)
    expect((await login(t, 'ivan@example.com', 'wrong-password-ivan')).statusCode).toBe(401)

    const judy = django.user('judy')
    for (const guess of [judy.stored, judy.stored.slice(1), 'anything-at-all']) {
      expect((await login(t, 'judy@example.com', guess)).statusCode).toBe(401)
    }
    const mallory = django.user('mallory')
    expect((await login(t, 'mallory@example.com', mallory.password ?? '')).statusCode).toBe(401)
  }, 60_000)

  it('a re-run changes nothing, and says so', async () => {
    const before = await t.app.db.users.list({ limit: 100 })
    const run = await manage(database, ['import-django', '--from', django.source])
    expect(run.code, run.err).toBe(0)
    expect(run.summary).toBe('created 0, updated 0, skipped 3, unchanged 12')
    const after = await t.app.db.users.list({ limit: 100 })
    expect(after).toEqual(before)
    // The hashes upgraded here stay: Django's is not copied back over them.
    expect((await byEmail(t, 'alice@example.com')).passwordHash).toMatch(/^\$argon2id\$/)
    expect(
      (await login(t, 'alice@example.com', django.user('alice').password ?? '')).statusCode,
    ).toBe(200)
  }, 60_000)

  it('a dry run reports the same and writes nothing', async () => {
    const empty = await freshDatabase()
    const run = await manage(empty, ['import-django', '--from', django.source, '--dry-run'])
    expect(run.code, run.err).toBe(0)
    expect(run.out).toMatch(/^dry run: nothing was written/)
    expect(run.summary).toBe(SUMMARY)
    const other = await app(empty)
    expect(await other.app.db.users.list({ limit: 10 })).toEqual([])
  }, 60_000)

  it('imports dumpdata JSON alike, and a re-run brings Django’s later changes', async () => {
    const target = await freshDatabase()
    const run = await manage(target, ['import-django', '--from', django.dumpdata])
    expect(run.code, run.err).toBe(0)
    expect(run.summary).toBe(SUMMARY)
    const other = await app(target)
    const alice = await byEmail(other, 'alice@example.com')
    expect(alice).toMatchObject({ name: 'Alice Liddell', emailVerified: true })
    expect(alice.createdAt.toISOString()).toBe('2019-04-01T08:30:00.123Z')
    const carol = django.user('carol')
    const signedIn = await login(other, 'carol@example.com', carol.password ?? '')
    expect(signedIn.statusCode).toBe(200)

    // In Django meanwhile: carol is deactivated and renamed, erin becomes superuser.
    const records = JSON.parse(readFileSync(django.dumpdata, 'utf8')) as {
      model: string
      pk: number
      fields: Record<string, unknown>
    }[]
    for (const r of records) {
      if (r.model !== 'auth.user') continue
      if (r.pk === carol.id) Object.assign(r.fields, { is_active: false, first_name: 'Carol' })
      if (r.pk === django.user('erin').id) r.fields.is_superuser = true
    }
    const changed = join(dataDir, 'changed.json')
    writeFileSync(changed, JSON.stringify(records))
    const rerun = await manage(target, ['import-django', '--from', changed])
    expect(rerun.code, rerun.err).toBe(0)
    expect(rerun.summary).toBe('created 0, updated 2, skipped 3, unchanged 10')
    expect(await byEmail(other, 'carol@example.com')).toMatchObject({
      isActive: false,
      name: 'Carol Danvers',
    })
    expect(await byEmail(other, 'erin@example.com')).toMatchObject({ role: 'admin' })
    // Deactivated through the account rules: the session carol had is over.
    const refresh = await other.app.inject({
      method: 'POST',
      url: '/auth/token/refresh',
      payload: { refresh_token: signedIn.json().refresh_token },
    })
    expect(refresh.statusCode).toBe(401)
  }, 60_000)

  it('never takes over an account registered here with the same address', async () => {
    const target = await freshDatabase()
    const other = await app(target)
    const registered = await other.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email: 'grace@example.com', password: 'registered-here-first-9' },
    })
    expect(registered.statusCode).toBe(201)
    const run = await manage(target, ['import-django', '--from', django.source])
    expect(run.code, run.err).toBe(0)
    expect(run.summary).toBe('created 11, updated 0, skipped 4, unchanged 0')
    expect(run.out).toContain(
      '(grace): email grace@example.com belongs to an account here not imported from this user: not merged',
    )
    const grace = await byEmail(other, 'grace@example.com')
    expect(grace.legacyId).toBeNull()
    expect((await login(other, 'grace@example.com', 'registered-here-first-9')).statusCode).toBe(
      200,
    )
    expect(
      (await login(other, 'grace@example.com', django.user('grace').password ?? '')).statusCode,
    ).toBe(401)
  }, 60_000)
})
