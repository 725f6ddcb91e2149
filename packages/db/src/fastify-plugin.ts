import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { AuditClient } from './audit.js'
import type { DatabaseTarget } from './connection-url.js'
import { redactDatabaseUrl } from './connection-url.js'
import type { Database, DatabaseOptions } from './database.js'
import { openDatabase } from './open-database.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The data-access layer (repositories), one per process. */
    db: Database
  }
}

export interface DatabasePluginOptions extends DatabaseOptions {
  target: DatabaseTarget
}

/** Opens the data-access layer once per process and closes it when the server closes. */
export const databasePlugin = fp<DatabasePluginOptions>(
  async (fastify, { target, ...options }) => {
    const db = openDatabase(target, options)
    fastify.decorate('db', db)
    fastify.addHook('onClose', async () => db.close())
    fastify.log.info({ database: redactDatabaseUrl(target) }, 'database configured')
  },
  { name: 'database', fastify: '5.x' },
)

/**
 * The caller as the gateway saw it, for sessions and the audit trail: request.ip honours only
 * the configured TRUST_PROXY, so a client cannot choose it.
 */
export function auditClientOf(request: FastifyRequest): AuditClient {
  return {
    ip: request.ip,
    userAgent: request.headers['user-agent'],
    requestId: String(request.id),
  }
}
