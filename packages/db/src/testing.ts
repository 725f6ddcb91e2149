/**
 * Test helpers shared by every package's suites: a fresh, migrated database per test file, on
 * the dialect the run is for (TEST_DB=sqlite, the default, or TEST_DB=postgres).
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
 * Creates an empty database of the run's dialect, applies the migrations (those of
 * `migrationsFolder` when given: a test replaying an upgrade starts from an older schema), and
 * returns it.
 */
export async function createTestDatabase(
  dialect: Dialect = testDialect(),
  migrationsFolder?: string,
): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'authpair-test-'))
    const path = join(dir, 'test.db')
    const target: DatabaseTarget = { dialect: 'sqlite', path }
    await migrateDatabase(target, migrationsFolder)
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
  await migrateDatabase(target, migrationsFolder)
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
