#!/usr/bin/env node
/**
 * `pnpm db:migrate`: applies the committed migrations to DATABASE_URL (unset: SQLite in
 * DATA_DIR, ./data/ by default, as the services find it). Reads `.env` like `pnpm start` and
 * `pnpm manage` (service-kit's loadEnvFileInDevelopment; this package sits below service-kit,
 * hence the two lines here). One line out, exit 0; or one line naming the problem, exit 1.
 */
import { existsSync } from 'node:fs'
import { parseDatabaseUrl, redactDatabaseUrl } from '../connection-url.js'
import { migrateDatabase } from '../migrate.js'

const message = (error: unknown) => (error instanceof Error ? error.message : String(error))

if (process.env.NODE_ENV !== 'production' && existsSync('.env')) process.loadEnvFile('.env')

let target: ReturnType<typeof parseDatabaseUrl> | undefined
try {
  target = parseDatabaseUrl(process.env.DATABASE_URL, process.cwd(), process.env.DATA_DIR)
} catch (error) {
  console.error(`migrate: invalid configuration: DATABASE_URL: ${message(error)}`)
  process.exitCode = 1
}
if (target) {
  try {
    const result = await migrateDatabase(target)
    console.log(
      `migrate: ${redactDatabaseUrl(target)}: applied ${result.applied}, ${result.total} in total`,
    )
  } catch (error) {
    console.error(`migrate: ${redactDatabaseUrl(target)}: ${message(error)}`)
    process.exitCode = 1
  }
}
