import { fileURLToPath } from 'node:url'
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3'
import { migrate as migrateSqlite } from 'drizzle-orm/better-sqlite3/migrator'
import { drizzle as drizzlePg } from 'drizzle-orm/postgres-js'
import { migrate as migratePg } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'
import type { DatabaseTarget } from './connection-url.js'
import { openSqliteHandle } from './database.sqlite.js'
import { translatePgError } from './errors.js'

export const MIGRATIONS_FOLDER = {
  postgres: fileURLToPath(new URL('../drizzle/pg', import.meta.url)),
  sqlite: fileURLToPath(new URL('../drizzle/sqlite', import.meta.url)),
} as const

export interface MigrationResult {
  dialect: DatabaseTarget['dialect']
  /** Migrations applied by this call. */
  applied: number
  /** Migrations recorded in the database after this call. */
  total: number
}

/** An arbitrary constant: the key of the advisory lock that serializes concurrent migrators. */
const MIGRATION_LOCK_KEY = 727_211_001

/**
 * Applies the committed migrations. On PostgreSQL, concurrent migrators (two replicas starting
 * at once) are serialized by an advisory lock held on the migrator's single connection. On
 * SQLite the migrations run in one transaction; run them from one process (the launcher, the
 * compose migration job), as the README says.
 */
export async function migrateDatabase(
  target: DatabaseTarget,
  /** Another folder of migrations (tests that replay an upgrade from an older schema). */
  migrationsFolder: string = MIGRATIONS_FOLDER[target.dialect],
): Promise<MigrationResult> {
  if (target.dialect === 'postgres') {
    const client = postgres(target.url, { max: 1, connect_timeout: 5, onnotice: () => {} })
    try {
      const db = drizzlePg(client)
      await client`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`
      try {
        const before = await countPg(client)
        await migratePg(db, { migrationsFolder })
        const total = await countPg(client)
        return { dialect: 'postgres', applied: total - before, total }
      } finally {
        await client`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`
      }
    } catch (error) {
      throw translatePgError(error)
    } finally {
      await client.end({ timeout: 5 })
    }
  }
  const handle = openSqliteHandle(target.path)
  try {
    const before = countSqlite(handle)
    // drizzle-kit changes a SQLite column by rebuilding its table (create, copy, DROP, rename).
    // With foreign keys on, the DROP deletes every row first and cascades into the tables that
    // reference it (a user rebuild would take every session and identity with it), and the
    // "PRAGMA foreign_keys=OFF" the migration carries is a no-op inside the migrator's
    // transaction. So, as SQLite's own procedure for schema changes says (ALTER TABLE §7), the
    // keys are switched off on this connection before the transaction and checked after it.
    handle.pragma('foreign_keys = OFF')
    migrateSqlite(drizzleSqlite({ client: handle }), { migrationsFolder })
    const violations = handle.pragma('foreign_key_check') as unknown[]
    if (violations.length > 0) {
      throw new Error(
        `migrations left ${violations.length} broken foreign key(s): ${JSON.stringify(violations.slice(0, 3))}`,
      )
    }
    const total = countSqlite(handle)
    return { dialect: 'sqlite', applied: total - before, total }
  } finally {
    handle.close()
  }
}

async function countPg(client: postgres.Sql): Promise<number> {
  const [exists] = await client<{ t: string | null }[]>`
    select to_regclass('drizzle.__drizzle_migrations')::text as t`
  if (!exists?.t) return 0
  const [row] = await client<
    { n: number }[]
  >`select count(*)::int as n from drizzle.__drizzle_migrations`
  return row?.n ?? 0
}

function countSqlite(handle: ReturnType<typeof openSqliteHandle>): number {
  const exists = handle
    .prepare("select 1 from sqlite_master where type = 'table' and name = '__drizzle_migrations'")
    .get()
  if (!exists) return 0
  return (handle.prepare('select count(*) as n from __drizzle_migrations').get() as { n: number }).n
}
