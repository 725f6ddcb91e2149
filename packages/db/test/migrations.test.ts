/**
 * Upgrading keeps every row. A migration that rebuilds a table (drizzle-kit's way of changing a
 * SQLite column) must not take the rows of the tables that reference it along: each later
 * migration is replayed onto a database seeded under the first schema.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { afterAll, describe, expect, it } from 'vitest'
import { openSqliteHandle } from '../src/database.sqlite.js'
import { MIGRATIONS_FOLDER, migrateDatabase } from '../src/index.js'
import { createTestDatabase, type TestDatabase, testDialect } from '../src/testing.js'

const dialect = testDialect()
const dirs: string[] = []
const databases: TestDatabase[] = []
afterAll(async () => {
  for (const d of databases) await d.drop()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** A copy of the committed migrations holding only the first `count`. */
function firstMigrations(count: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'authpair-migrations-'))
  dirs.push(dir)
  cpSync(MIGRATIONS_FOLDER[dialect], dir, { recursive: true })
  const journalPath = join(dir, 'meta', '_journal.json')
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: unknown[] }
  journal.entries = journal.entries.slice(0, count)
  writeFileSync(journalPath, JSON.stringify(journal))
  return dir
}

// One row per table, in the columns of the first schema (0000_init), children included.
const SEED = [
  `insert into users (id, email, email_verified, role, is_active, created_at, updated_at)
     values ('u1', 'a@example.com', true, 'user', true, $T, $T)`,
  `insert into identities (id, user_id, provider, provider_user_id, email, created_at)
     values ('i1', 'u1', 'github', '42', 'a@example.com', $T)`,
  `insert into sessions (id, user_id, created_at, last_used_at, expires_at)
     values ('s1', 'u1', $T, $T, $T)`,
  `insert into refresh_tokens (id, session_id, token_hash, created_at, expires_at)
     values ('r1', 's1', 'h1', $T, $T)`,
  `insert into one_time_tokens (id, user_id, purpose, token_hash, created_at, expires_at)
     values ('o1', 'u1', 'password_reset', 'h2', $T, $T)`,
  `insert into audit_events (id, type, user_id, created_at) values ('a1', 'x', 'u1', $T)`,
]
const TABLES = [
  'users',
  'identities',
  'sessions',
  'refresh_tokens',
  'one_time_tokens',
  'audit_events',
]

async function run(database: TestDatabase, statements: string[]): Promise<number[]> {
  if (database.target.dialect === 'sqlite') {
    const handle = openSqliteHandle(database.target.path)
    try {
      for (const s of statements) handle.exec(s.replaceAll('$T', '1000').replace(/\btrue\b/g, '1'))
      return TABLES.map(
        (t) => (handle.prepare(`select count(*) as n from ${t}`).get() as { n: number }).n,
      )
    } finally {
      handle.close()
    }
  }
  const client = postgres(database.target.url, { max: 1, onnotice: () => {} })
  try {
    for (const s of statements) await client.unsafe(s.replaceAll('$T', "'2026-01-01T00:00:00Z'"))
    const counts: number[] = []
    for (const t of TABLES) {
      const [row] = await client.unsafe<{ n: number }[]>(`select count(*)::int as n from ${t}`)
      counts.push(row?.n ?? 0)
    }
    return counts
  } finally {
    await client.end({ timeout: 5 })
  }
}

describe(`upgrading an existing ${dialect} database`, () => {
  const journal = JSON.parse(
    readFileSync(join(MIGRATIONS_FOLDER[dialect], 'meta', '_journal.json'), 'utf8'),
  ) as { entries: { tag: string }[] }

  it('applies every later migration without losing a row of any table', async () => {
    expect(journal.entries.length).toBeGreaterThan(1)
    const database = await createTestDatabase(dialect, { migrationsFolder: firstMigrations(1) })
    databases.push(database)
    const before = await run(database, SEED)
    expect(before).toEqual(TABLES.map(() => 1))
    const result = await migrateDatabase(database.target)
    expect(result.applied).toBe(journal.entries.length - 1)
    expect(await run(database, [])).toEqual(before)
  })
})
