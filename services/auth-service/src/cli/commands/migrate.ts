import { migrateDatabase, redactDatabaseUrl } from '@authpair/db'
import type { Command } from '../cli-context.js'

/** `migrate`: without the app, which needs the migrated schema to start. */
export const migrateCommand: Command = {
  words: ['migrate'],
  positionals: { min: 0, max: 0 },
  summary: 'apply the database migrations',
  withoutApp: true,
  async run(config) {
    const result = await migrateDatabase(config.DATABASE_URL)
    console.log(`migrated ${redactDatabaseUrl(config.DATABASE_URL)}: applied ${result.applied}`)
  },
}
