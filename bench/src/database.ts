/**
 * The benchmark's database, set up the way an operator sets one up: an empty SQLite file, or a
 * fresh database on the PostgreSQL server at TEST_POSTGRES_URL (the tests' server, created here
 * and dropped after), then the migration CLI (`pnpm db:migrate`) run as a process. bench/ drives
 * the system from outside and imports nothing of the data layer (docs/architecture.md).
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { join } from 'node:path'
import postgres from 'postgres'

export interface BenchDatabase {
  /** DATABASE_URL for the services. */
  url: string
  drop(): Promise<void>
}

const POSTGRES_SERVER = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

export async function createBenchDatabase(
  dialect: 'sqlite' | 'postgres',
  { root, work }: { root: string; work: string },
): Promise<BenchDatabase> {
  const database = dialect === 'sqlite' ? sqliteFile(work) : await postgresDatabase()
  try {
    await migrate(root, database.url)
  } catch (error) {
    await database.drop()
    throw error
  }
  return database
}

function sqliteFile(work: string): BenchDatabase {
  // Inside the run's work directory, which main() removes.
  return { url: join(work, 'bench.db'), drop: async () => {} }
}

async function postgresDatabase(): Promise<BenchDatabase> {
  const name = `authpair_bench_${process.pid}_${randomBytes(6).toString('hex')}`
  await onServer((sql) => sql.unsafe(`create database "${name}"`))
  const url = new URL(POSTGRES_SERVER)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: () => onServer((sql) => sql.unsafe(`drop database if exists "${name}" with (force)`)),
  }
}

async function onServer(statement: (sql: postgres.Sql) => Promise<unknown>): Promise<void> {
  const sql = postgres(POSTGRES_SERVER, { max: 1, connect_timeout: 5, onnotice: () => {} })
  try {
    await statement(sql)
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/** packages/db's migration CLI, as `pnpm db:migrate` runs it; its one line goes to the log. */
async function migrate(root: string, databaseUrl: string): Promise<void> {
  const child = spawn(process.execPath, [join(root, 'packages/db/dist/cli/migrate.js')], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const [code] = await once(child, 'exit')
  if (code !== 0) throw new Error(`migrate exited with ${code}`)
}
