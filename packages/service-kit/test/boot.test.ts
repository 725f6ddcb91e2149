/**
 * @authpair/service-kit/boot: drizzle-orm loaded through its shortcut is the same module graph
 * Node's own loader gives (every export, a working table and query), and a process that imports
 * it still loads anything else the ordinary way. Run as child processes from packages/db, where
 * drizzle-orm is installed; its speed is the bench's business (cold start, bench/README.md).
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'

const boot = pathToFileURL(fileURLToPath(new URL('../src/boot.ts', import.meta.url))).href
const dbPackage = fileURLToPath(new URL('../../db/', import.meta.url))

let shortcutSeen: { resolved: number; loaded: number } | null = null

/** Runs `body` as an ES module in packages/db, after the boot module when `booted`. */
function run(body: string, booted: boolean): unknown {
  const script = `const boot = ${booted ? `await import(${JSON.stringify(boot)})` : 'undefined'};\n${body}`
  const out = spawnSync(
    process.execPath,
    ['--experimental-strip-types', '--input-type=module', '-e', script],
    { cwd: dbPackage, encoding: 'utf8', env: { ...process.env, NODE_COMPILE_CACHE: '' } },
  )
  if (out.status !== 0) throw new Error(out.stderr)
  shortcutSeen = out.stderr.trim() ? JSON.parse(out.stderr) : null
  return JSON.parse(out.stdout)
}

const probe = `
const core = await import('drizzle-orm')
const pg = await import('drizzle-orm/pg-core')
const sqlite = await import('drizzle-orm/sqlite-core')
const { PgDialect } = pg
const users = pg.pgTable('users', { id: pg.text('id').primaryKey(), email: pg.text('email') })
const query = new PgDialect().sqlToQuery(core.sql\`select \${users.email} from \${users} where \${core.eq(users.id, 'x')}\`)
console.log(JSON.stringify({
  core: Object.keys(core).sort(),
  pg: Object.keys(pg).sort(),
  sqlite: Object.keys(sqlite).sort(),
  config: pg.getTableConfig(users).columns.map((c) => c.name),
  query,
  isTable: core.is(users, core.Table),
}))
console.error(JSON.stringify(boot?.shortcut ?? null))
`

describe('@authpair/service-kit/boot', () => {
  it('loads drizzle-orm to the same exports and behaviour as Node does', () => {
    const plain = run(probe, false)
    const booted = run(probe, true)
    // The shortcut did the work: drizzle's ~100 files went through it.
    expect(shortcutSeen?.loaded).toBeGreaterThan(50)
    expect(shortcutSeen?.resolved).toBeGreaterThan(50)
    expect(booted).toEqual(plain)
    expect((booted as { config: string[] }).config).toEqual(['id', 'email'])
    expect((booted as { query: { sql: string } }).query.sql).toBe(
      'select "users"."email" from "users" where "users"."id" = $1',
    )
  })

  it('leaves a failed import of drizzle-orm failing as it did', () => {
    const missing = `
try { await import('drizzle-orm/no-such-entry'); console.log('"loaded"') }
catch (e) { console.log(JSON.stringify(e.code)) }`
    expect(run(missing, true)).toBe(run(missing, false))
  })
})
