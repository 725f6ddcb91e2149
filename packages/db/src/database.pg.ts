import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import type { Database, DatabaseOptions } from './database.js'
import { translatingErrors } from './database.js'
import { translatePgError } from './errors.js'
import { PgAuditEventRepository } from './repositories/audit-event-repository.pg.js'
import { PgEmailOutboxRepository } from './repositories/email-outbox-repository.pg.js'
import { PgIdentityRepository } from './repositories/identity-repository.pg.js'
import { PgOneTimeTokenRepository } from './repositories/one-time-token-repository.pg.js'
import { PgSessionRepository } from './repositories/session-repository.pg.js'
import { PgSigningKeyRepository } from './repositories/signing-key-repository.pg.js'
import { PgUserRepository } from './repositories/user-repository.pg.js'
import * as schema from './schema/pg.js'

/**
 * Seconds a pooled connection waits before its next connection attempt after a failed one.
 * postgres.js's default grows as 3^n / 100 s up to 20 s, with n counted across the whole pool,
 * and a query handed to a reconnecting connection waits that delay out before anything is
 * tried: a few refused attempts into an outage, requests hang for 10-20 s instead of failing
 * fast with 503, and keep hanging that long after the server is back. Capped at half a second;
 * the jitter keeps replicas from reconnecting in step.
 */
function reconnectBackoffSeconds(failedAttempts: number): number {
  return Math.min(0.05 * 2 ** failedAttempts, 0.5) * (0.5 + Math.random() / 2)
}

export function openPostgres(url: string, options: DatabaseOptions = {}): Database {
  const client = postgres(url, {
    max: options.poolMax ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: 60,
    backoff: reconnectBackoffSeconds,
    onnotice: () => {},
  })
  const db = drizzle(client, { schema })
  let closed: Promise<void> | undefined
  return {
    dialect: 'postgres',
    users: translatingErrors(new PgUserRepository(db), translatePgError),
    signingKeys: translatingErrors(new PgSigningKeyRepository(db), translatePgError),
    auditEvents: translatingErrors(new PgAuditEventRepository(db), translatePgError),
    sessions: translatingErrors(new PgSessionRepository(db), translatePgError),
    identities: translatingErrors(new PgIdentityRepository(db), translatePgError),
    oneTimeTokens: translatingErrors(new PgOneTimeTokenRepository(db), translatePgError),
    emailOutbox: translatingErrors(new PgEmailOutboxRepository(db), translatePgError),
    async ping() {
      try {
        await db.execute(sql`select 1`)
      } catch (error) {
        throw translatePgError(error)
      }
    },
    close() {
      closed ??= client.end({ timeout: 5 })
      return closed
    },
  }
}
