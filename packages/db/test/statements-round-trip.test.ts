/**
 * Every column of every table survives each repository's insert, on both dialects. The SQLite
 * statements were once column lists written by hand, so a column added to the schema passed the
 * parity check and was silently dropped on SQLite; they are built from the table definitions
 * now (repositories/sqlite-insert.ts), and this test fills every column the schema declares
 * (a new one included, without editing this file) and reads each back.
 */
import { eq, getTableColumns } from 'drizzle-orm'
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3'
import type { PgTable } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePg } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSqliteHandle } from '../src/database.sqlite.js'
import { type Database, openDatabase } from '../src/index.js'
import * as pg from '../src/schema/pg.js'
import * as sqlite from '../src/schema/sqlite.js'
import { createTestDatabase, type TestDatabase, testDialect } from '../src/testing.js'

let testDb: TestDatabase
let db: Database
/** Reads one row of a table by id, whichever the dialect (the repositories expose no such read). */
let rowById: (table: keyof typeof pg, id: string, key?: string) => Promise<Record<string, unknown>>
let closeReader: () => Promise<void>

beforeAll(async () => {
  testDb = await createTestDatabase()
  db = openDatabase(testDb.target)
  if (testDb.target.dialect === 'sqlite') {
    const handle = openSqliteHandle(testDb.target.path)
    const reader = drizzleSqlite({ client: handle, schema: sqlite })
    rowById = async (name, id, key = 'id') => {
      const table = sqlite[name] as unknown as typeof sqlite.users
      const column = (getTableColumns(table) as unknown as Record<string, typeof sqlite.users.id>)[
        key
      ]
      if (!column) throw new Error(`no ${key} in ${name}`)
      return reader.select().from(table).where(eq(column, id)).get() as Record<string, unknown>
    }
    closeReader = async () => {
      handle.close()
    }
  } else {
    const client = postgres(testDb.target.url, { max: 1, onnotice: () => {} })
    const reader = drizzlePg(client, { schema: pg })
    rowById = async (name, id, key = 'id') => {
      const table = pg[name] as unknown as typeof pg.users
      const column = (getTableColumns(table) as unknown as Record<string, typeof pg.users.id>)[key]
      if (!column) throw new Error(`no ${key} in ${name}`)
      const [row] = await reader.select().from(table).where(eq(column, id))
      return row as Record<string, unknown>
    }
    closeReader = async () => {
      await client.end({ timeout: 5 })
    }
  }
})
afterAll(async () => {
  await closeReader?.()
  await db?.close()
  await testDb?.drop()
})

let serial = 0
/**
 * A value for every column of the table, none of them a default: strings that name their
 * column, the opposite of a boolean's default, numbers and times that differ per column.
 */
function fullRow(table: PgTable, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base = Date.UTC(2026, 0, 1) + ++serial * 60_000
  const row: Record<string, unknown> = {}
  let n = 0
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    n++
    if (column.dataType === 'boolean') row[key] = column.default !== true
    else if (column.dataType === 'number') row[key] = 7 + n
    else if (column.dataType === 'date') row[key] = new Date(base + n * 1000)
    else row[key] = `${key}-${serial}`
  }
  return { ...row, ...overrides }
}

/** Every column given is stored as given (columns an insert may not set are left out). */
function expectAllStored(stored: Record<string, unknown>, given: Record<string, unknown>) {
  for (const [key, value] of Object.entries(given)) {
    expect(stored[key], key).toEqual(value)
  }
}

const omit = (row: Record<string, unknown>, ...keys: string[]) =>
  Object.fromEntries(Object.entries(row).filter(([key]) => !keys.includes(key)))

describe(`every column round-trips through the repositories on ${testDialect()}`, () => {
  it('users, identities and audit events', async () => {
    const user = fullRow(pg.users, { role: 'admin' })
    const created = await db.users.create(user as never)
    expectAllStored(created as never, user)
    expectAllStored((await rowById('users', String(user.id))) as never, user)

    const identity = fullRow(pg.identities, { userId: user.id })
    await db.identities.create(identity as never)
    expectAllStored(await rowById('identities', String(identity.id)), identity)

    const event = fullRow(pg.auditEvents, { userId: user.id })
    await db.auditEvents.record(event as never)
    expectAllStored(await rowById('auditEvents', String(event.id)), event)
  })

  it('sessions with their first refresh token', async () => {
    const user = fullRow(pg.users)
    await db.users.create(user as never)
    // A session starts live and its first token unrotated: the inputs cannot set those columns.
    const session = omit(fullRow(pg.sessions, { userId: user.id }), 'revokedAt', 'revokedReason')
    const token = omit(fullRow(pg.refreshTokens), 'sessionId', 'rotatedAt', 'replacedBy')
    await db.sessions.create(session as never, token as never)
    expectAllStored(await rowById('sessions', String(session.id)), session)
    expectAllStored(await rowById('refreshTokens', String(token.id)), {
      ...token,
      sessionId: session.id,
    })
  })

  it('one-time tokens with their mail, mail alone, and signing keys', async () => {
    const user = fullRow(pg.users)
    await db.users.create(user as never)
    const token = fullRow(pg.oneTimeTokens, { userId: user.id, usedAt: null })
    const mail = fullRow(pg.emailOutbox)
    await db.oneTimeTokens.issue(token as never, mail as never)
    expectAllStored(await rowById('oneTimeTokens', String(token.id)), token)
    expectAllStored(await rowById('emailOutbox', String(mail.id)), mail)

    const alone = fullRow(pg.emailOutbox)
    await db.emailOutbox.enqueue(alone as never)
    expectAllStored(await rowById('emailOutbox', String(alone.id)), alone)

    const key = fullRow(pg.signingKeys)
    await db.signingKeys.insert(key as never)
    expectAllStored(await rowById('signingKeys', String(key.kid), 'kid'), key)

    const client = fullRow(pg.clients)
    expectAllStored((await db.clients.create(client as never)) as never, client)
    expectAllStored(await rowById('clients', String(client.id)), client)
  })

  it('an authenticator enrolment and recovery codes', async () => {
    const user = fullRow(pg.users)
    await db.users.create(user as never)
    // An enrolment starts unconfirmed and unused: the input cannot set those columns.
    const factor = omit(fullRow(pg.totpFactors, { userId: user.id }), 'confirmedAt', 'lastUsedStep')
    expect(await db.secondFactors.beginTotp(factor as never)).toBe(true)
    expectAllStored(await rowById('totpFactors', String(user.id), 'userId'), factor)

    const code = fullRow(pg.recoveryCodes, { userId: user.id, usedAt: null })
    const confirm = { at: new Date(Date.UTC(2026, 1, 1)), step: 12345 }
    expect(await db.secondFactors.confirmTotp(String(user.id), confirm, [code as never])).toBe(true)
    expectAllStored(await rowById('recoveryCodes', String(code.id)), code)
    expectAllStored(await rowById('totpFactors', String(user.id), 'userId'), {
      confirmedAt: confirm.at,
      lastUsedStep: confirm.step,
    })
  })
})
