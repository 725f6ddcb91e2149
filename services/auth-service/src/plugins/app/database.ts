import { type Database, openDatabase, redactDatabaseUrl } from '@authpair/db'
import fp from 'fastify-plugin'
import type { AuthConfig } from '../../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
  }
}

/** The data-access layer, opened once per process and closed when the server closes. */
export default fp<{ config: AuthConfig }>(
  async (fastify, { config }) => {
    const db = openDatabase(config.DATABASE_URL, { poolMax: config.DB_POOL_MAX })
    fastify.decorate('db', db)
    fastify.addHook('onClose', async () => db.close())
    fastify.log.info({ database: redactDatabaseUrl(config.DATABASE_URL) }, 'database configured')
  },
  { name: 'database', fastify: '5.x' },
)
