import { getTableConfig as pgConfig } from 'drizzle-orm/pg-core'
import { getTableConfig as sqliteConfig } from 'drizzle-orm/sqlite-core'
import { describe, expect, it } from 'vitest'
import { TABLES } from '../src/schema/parity.js'
import * as pg from '../src/schema/pg.js'
import * as sqlite from '../src/schema/sqlite.js'

/** Column types that mean the same thing in both dialects, per the schema's conventions. */
const SAME_KIND: Record<string, string> = {
  PgText: 'text',
  SQLiteText: 'text',
  PgBoolean: 'boolean',
  SQLiteBoolean: 'boolean',
  PgTimestamp: 'timestamp',
  SQLiteTimestamp: 'timestamp',
  PgInteger: 'integer',
  PgBigInt53: 'integer',
  SQLiteInteger: 'integer',
}

function kind(columnType: string): string {
  const mapped = SAME_KIND[columnType]
  if (!mapped) throw new Error(`column type ${columnType} has no counterpart listed in SAME_KIND`)
  return mapped
}

type Described = {
  name: string
  columns: Record<string, unknown>[]
  indexes: Record<string, unknown>[]
  foreignKeys: Record<string, unknown>[]
  checks: { name: string; sql: string }[]
}

/** A check's SQL as written (both schemas write it as raw text, no column references). */
function checkSql(value: { queryChunks: unknown[] }): string {
  return value.queryChunks
    .map((chunk) => ((chunk as { value?: unknown }).value as string[] | undefined)?.join('') ?? '')
    .join('')
}

function describePg(table: (typeof pg)[keyof typeof pg]): Described {
  const config = pgConfig(table)
  return {
    name: config.name,
    columns: config.columns.map((c) => ({
      name: c.name,
      kind: kind(c.columnType),
      notNull: c.notNull,
      primary: c.primary,
      default: c.default,
    })),
    indexes: config.indexes
      .map((i) => ({
        name: i.config.name,
        unique: i.config.unique,
        columns: i.config.columns.map((c) => (c as { name: string }).name),
      }))
      .sort((a, b) => String(a.name).localeCompare(String(b.name))),
    foreignKeys: config.foreignKeys.map((fk) => {
      const ref = fk.reference()
      return {
        columns: ref.columns.map((c) => c.name),
        table: pgConfig(ref.foreignTable).name,
        foreignColumns: ref.foreignColumns.map((c) => c.name),
        onDelete: fk.onDelete,
      }
    }),
    checks: config.checks.map((c) => ({ name: c.name, sql: checkSql(c.value) })),
  }
}

function describeSqlite(table: (typeof sqlite)[keyof typeof sqlite]): Described {
  const config = sqliteConfig(table)
  return {
    name: config.name,
    columns: config.columns.map((c) => ({
      name: c.name,
      kind: kind(c.columnType),
      notNull: c.notNull,
      primary: c.primary,
      default: c.default,
    })),
    indexes: config.indexes
      .map((i) => ({
        name: i.config.name,
        unique: i.config.unique,
        columns: i.config.columns.map((c) => (c as { name: string }).name),
      }))
      .sort((a, b) => String(a.name).localeCompare(String(b.name))),
    foreignKeys: config.foreignKeys.map((fk) => {
      const ref = fk.reference()
      return {
        columns: ref.columns.map((c) => c.name),
        table: sqliteConfig(ref.foreignTable).name,
        foreignColumns: ref.foreignColumns.map((c) => c.name),
        onDelete: fk.onDelete,
      }
    }),
    checks: config.checks.map((c) => ({ name: c.name, sql: checkSql(c.value) })),
  }
}

describe('schema parity between PostgreSQL and SQLite', () => {
  it('both dialects export the same tables', () => {
    expect(Object.keys(pg).sort()).toEqual(Object.keys(sqlite).sort())
    expect([...TABLES].sort()).toEqual(Object.keys(pg).sort())
  })

  it.each(TABLES)(
    '%s has the same columns, nullability, defaults, indexes, keys and checks',
    (table) => {
      const a = describePg(pg[table])
      const b = describeSqlite(sqlite[table])
      expect(b).toEqual(a)
      expect(a.columns.length).toBeGreaterThan(0)
    },
  )

  it('compares checks by their SQL, not only by name', () => {
    const outbox = describePg(pg.emailOutbox).checks
    expect(outbox).toEqual([
      {
        name: 'email_outbox_body_until_sent',
        sql: 'sent_at is not null or text_body is not null',
      },
    ])
  })

  it('the comparison notices a drift (a column made nullable on one side)', () => {
    const a = describePg(pg.users)
    const drifted = structuredClone(a)
    const createdAt = drifted.columns.find((c) => c.name === 'created_at')
    if (!createdAt?.notNull) throw new Error('users.created_at missing or already nullable')
    createdAt.notNull = false
    expect(drifted).not.toEqual(a)
  })
})
