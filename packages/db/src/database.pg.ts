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

export function openPostgres(url: string, options: DatabaseOptions = {}): Database {
  const client = postgres(url, {
    max: options.poolMax ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: 60,
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
