#!/usr/bin/env node
/**
 * `pnpm db:migrate`: applies the committed migrations to DATABASE_URL (unset: SQLite under
 * ./data/). One line out, exit 0; or one line naming the problem, exit 1.
 */
import { parseDatabaseUrl, redactDatabaseUrl } from '../connection-url.js'
import { migrateDatabase } from '../migrate.js'

const message = (error: unknown) => (error instanceof Error ? error.message : String(error))

let target: ReturnType<typeof parseDatabaseUrl> | undefined
try {
  target = parseDatabaseUrl(process.env.DATABASE_URL)
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
