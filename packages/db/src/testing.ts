/**
 * Test helpers shared by every package's suites: a fresh, migrated database per test file, on
 * the dialect the run is for (TEST_DB=sqlite, the default, or TEST_DB=postgres).
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import postgres from 'postgres'
import type { DatabaseTarget } from './connection-url.js'
import type { Dialect } from './database.js'
import { migrateDatabase } from './migrate.js'

/** The server the PostgreSQL runs use; each test database is created on it and dropped after. */
export const TEST_POSTGRES_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

export function testDialect(): Dialect {
  const value = process.env.TEST_DB ?? 'sqlite'
  if (value !== 'sqlite' && value !== 'postgres') {
    throw new Error(`TEST_DB must be "sqlite" or "postgres", not "${value}"`)
  }
  return value
}

export interface TestDatabase {
  target: DatabaseTarget
  /** What to put in DATABASE_URL for a service under test. */
  url: string
  drop(): Promise<void>
}

/**
 * Creates an empty database of the run's dialect, applies the migrations, and returns it. For
 * tests of the migrations themselves: `migrate: false` applies none, and `migrationsFolder`
 * applies another folder's (an upgrade replayed from an older schema).
 */
export async function createTestDatabase(
  dialect: Dialect = testDialect(),
  { migrate = true, migrationsFolder }: { migrate?: boolean; migrationsFolder?: string } = {},
): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'authpair-test-'))
    const path = join(dir, 'test.db')
    const target: DatabaseTarget = { dialect: 'sqlite', path }
    if (migrate) await migrateDatabase(target, migrationsFolder)
    return {
      target,
      url: path,
      async drop() {
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  const name = `authpair_test_${process.pid}_${randomBytes(6).toString('hex')}`
  const admin = postgres(TEST_POSTGRES_URL, { max: 1, connect_timeout: 5, onnotice: () => {} })
  try {
    await admin.unsafe(`create database "${name}"`)
  } finally {
    await admin.end({ timeout: 5 })
  }
  const url = new URL(TEST_POSTGRES_URL)
  url.pathname = `/${name}`
  const target: DatabaseTarget = { dialect: 'postgres', url: url.toString() }
  if (migrate) await migrateDatabase(target, migrationsFolder)
  return {
    target,
    url: target.url,
    async drop() {
      const dropper = postgres(TEST_POSTGRES_URL, {
        max: 1,
        connect_timeout: 5,
        onnotice: () => {},
      })
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`)
      } finally {
        await dropper.end({ timeout: 5 })
      }
    },
  }
}

/** Whether the test PostgreSQL answers; the reason when it does not. */
export async function probePostgres(
  url = TEST_POSTGRES_URL,
): Promise<{ ok: boolean; reason?: string }> {
  const client = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} })
  try {
    await client`select 1`
    return { ok: true }
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) }
  } finally {
    await client.end({ timeout: 1 }).catch(() => {})
  }
}

/**
 * Every row of a table as the database holds it, read with the driver's own SQL (no Drizzle
 * mapping in between): for tests about what lies at rest.
 */
export async function readRawRows(
  target: DatabaseTarget,
  table: string,
): Promise<Record<string, unknown>[]> {
  if (!/^[a-z_]+$/.test(table)) throw new TypeError(`not a table name: ${table}`)
  if (target.dialect === 'sqlite') {
    const handle = new BetterSqlite3(target.path, { readonly: true, fileMustExist: true })
    try {
      return handle.prepare(`select * from "${table}"`).all() as Record<string, unknown>[]
    } finally {
      handle.close()
    }
  }
  const client = postgres(target.url, { max: 1, connect_timeout: 5, onnotice: () => {} })
  try {
    return [...(await client.unsafe(`select * from "${table}"`))]
  } finally {
    await client.end({ timeout: 5 })
  }
}

/**
 * Drops a database of the PostgreSQL test server by name, if it exists: for a test whose code
 * under test created the database itself (the launcher's ensurePostgresDatabase).
 */
export async function dropTestServerDatabase(name: string): Promise<void> {
  const admin = postgres(TEST_POSTGRES_URL, { max: 1, connect_timeout: 5, onnotice: () => {} })
  try {
    await admin.unsafe(`drop database if exists "${name.replaceAll('"', '""')}" with (force)`)
  } finally {
    await admin.end({ timeout: 5 })
  }
}
