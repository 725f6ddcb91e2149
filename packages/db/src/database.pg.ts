import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import { withDeadline } from './call-deadline.js'
import type { CallGuard, Database, DatabaseOptions } from './database.js'
import { DEFAULT_QUERY_TIMEOUT_MS, translatingErrors } from './database.js'
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

/**
 * What the server is told at connect time (startup parameters, so they hold for every statement
 * on the connection without a round trip). `statement_timeout` ends a slow statement a little
 * before the client would give up on the call, so on a server that still answers, the call gets
 * the server's error and the connection comes back clean, with nothing left running.
 * `idle_in_transaction_session_timeout` ends a session whose client went quiet mid-transaction
 * (a partition between two statements), which releases its row locks for the other replicas.
 */
export function serverTimeouts(queryTimeoutMs: number) {
  return {
    statement_timeout: Math.max(1, Math.floor(queryTimeoutMs * 0.8)),
    idle_in_transaction_session_timeout: queryTimeoutMs,
  }
}

export function openPostgres(url: string, options: DatabaseOptions = {}): Database {
  const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS
  if (!Number.isInteger(queryTimeoutMs) || queryTimeoutMs < 1) {
    throw new TypeError(
      `queryTimeoutMs must be a positive integer (milliseconds), not ${queryTimeoutMs}`,
    )
  }
  const client = postgres(url, {
    max: options.poolMax ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: 60,
    backoff: reconnectBackoffSeconds,
    connection: serverTimeouts(queryTimeoutMs),
    // The array-type lookup postgres.js runs on each new connection is a promise it drops: if
    // that query fails (statement_timeout, or a connection lost right after connecting), the
    // rejection is unhandled and ends the process. The schema has no array columns, so it is
    // not needed (and a round trip fewer per connection).
    fetch_types: false,
    onnotice: () => {},
  })
  const db = drizzle(client, { schema })

  // A query whose deadline passed is left to the driver: postgres.js 3.4.9's query.cancel()
  // cannot be used safely (see docs/decisions.md), and a server that answers at all answers
  // within statement_timeout, which hands the connection back to the pool.
  const guard: CallGuard = (call) =>
    // Once into a real promise: some repository methods return drizzle's query builder, which
    // runs its query again on every then() (a second then() would be a second UPDATE).
    withDeadline(Promise.resolve(call()), queryTimeoutMs)

  const repository = <T extends object>(instance: T) =>
    translatingErrors(instance, translatePgError, guard)
  let closed: Promise<void> | undefined
  return {
    dialect: 'postgres',
    users: repository(new PgUserRepository(db)),
    signingKeys: repository(new PgSigningKeyRepository(db)),
    auditEvents: repository(new PgAuditEventRepository(db)),
    sessions: repository(new PgSessionRepository(db)),
    identities: repository(new PgIdentityRepository(db)),
    oneTimeTokens: repository(new PgOneTimeTokenRepository(db)),
    emailOutbox: repository(new PgEmailOutboxRepository(db)),
    async ping() {
      try {
        await guard(async () => {
          await db.execute(sql`select 1`)
        })
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
