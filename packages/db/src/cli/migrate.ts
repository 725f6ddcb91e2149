#!/usr/bin/env node
/**
 * `pnpm db:migrate`: applies the committed migrations to DATABASE_URL (unset: SQLite under
 * ./data/). One line out, exit 0; or one line naming the problem, exit 1.
 */
import { parseDatabaseUrl, redactDatabaseUrl } from '../connection-url.js'
import { migrateDatabase } from '../migrate.js'

try {
  const target = parseDatabaseUrl(process.env.DATABASE_URL)
  const result = await migrateDatabase(target)
  console.log(
    `migrate: ${redactDatabaseUrl(target)}: applied ${result.applied}, ${result.total} in total`,
  )
} catch (error) {
  const message = error instanceof Error ? error.message : String(error)
  console.error(`migrate: DATABASE_URL ${message}`)
  process.exitCode = 1
}
