import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import { withDeadline } from './call-deadline.js'
import type { CallGuard, Database, DatabaseOptions } from './database.js'
import { DEFAULT_QUERY_TIMEOUT_MS, translatingErrors } from './database.js'
import { translatePgError } from './errors.js'
import { PgAuditEventRepository } from './repositories/audit-event-repository.pg.js'
import { PgClientRepository } from './repositories/client-repository.pg.js'
import { PgEmailOutboxRepository } from './repositories/email-outbox-repository.pg.js'
import { PgIdentityRepository } from './repositories/identity-repository.pg.js'
import { PgOneTimeTokenRepository } from './repositories/one-time-token-repository.pg.js'
import { PgPasskeyRepository } from './repositories/passkey-repository.pg.js'
import { PgRevocationRepository } from './repositories/revocation-repository.pg.js'
import { PgSecondFactorRepository } from './repositories/second-factor-repository.pg.js'
import { PgSessionRepository } from './repositories/session-repository.pg.js'
import { PgSigningKeyRepository } from './repositories/signing-key-repository.pg.js'
import { PgUserRepository } from './repositories/user-repository.pg.js'
import * as schema from './schema/pg.js'
import { postgresUserChanges } from './user-changes.js'

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

/** Whether an error (or one it wraps: drizzle wraps the driver's) came from the server. */
function fromServer(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof postgres.PostgresError) return true
  }
  return false
}

export function openPostgres(url: string, options: DatabaseOptions = {}): Database {
  const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS
  if (!Number.isInteger(queryTimeoutMs) || queryTimeoutMs < 1) {
    throw new TypeError(
      `queryTimeoutMs must be a positive integer (milliseconds), not ${queryTimeoutMs}`,
    )
  }
  const connect = () =>
    postgres(url, {
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

  // Drizzle keeps the client it is built on; it gets one that forwards to the current pool, so
  // a wedged pool can be replaced under it (below). postgres.js's functions are closures over
  // their pool, so forwarding property reads and calls is all it takes.
  const first = connect()
  let pool = first
  const client = new Proxy(first, {
    get: (_target, property) => Reflect.get(pool, property),
    apply: (_target, self, args) => Reflect.apply(pool, self, args),
  })
  const db = drizzle(client, { schema })

  // A query whose deadline passed is left to the driver: postgres.js 3.4.9's query.cancel()
  // cannot help (see docs/decisions.md), and a server that answers at all answers within
  // statement_timeout, which hands the connection back. But a connection whose server side is
  // gone without a reset (a partition that outlived a firewall's or NAT's memory of it) never
  // answers again, and holds its pool slot until TCP gives up, about 15 minutes: past the
  // partition, every call queued on it would still time out. So when a call runs out of time
  // and nothing at all has answered for a whole deadline, the pool is presumed wedged and is
  // replaced by a fresh one (its connections destroyed), at most once per deadline. A pool that
  // answers anything, even errors, is never replaced.
  let lastAnswerAt = performance.now()
  let replacedAt = Number.NEGATIVE_INFINITY
  let closing = false
  const replaceIfWedged = () => {
    const now = performance.now()
    if (closing || now - lastAnswerAt < queryTimeoutMs || now - replacedAt < queryTimeoutMs) {
      return
    }
    replacedAt = now
    const wedged = pool
    pool = connect()
    // The type parsers drizzle installed on the first pool's options.
    Object.assign(pool.options.parsers, first.options.parsers)
    Object.assign(pool.options.serializers, first.options.serializers)
    wedged.end({ timeout: 0 }).catch(() => {})
  }
  // An answer is a result or an error the server sent; the driver's own errors (a connection
  // closed, a connect timeout) are not signs of life.
  const answered = (error?: unknown) => {
    if (error === undefined || fromServer(error)) lastAnswerAt = performance.now()
  }
  const guard: CallGuard = (call) => {
    // Once into a real promise: some repository methods return drizzle's query builder, which
    // runs its query again on every then() (a second then() would be a second UPDATE).
    const work = Promise.resolve(call())
    work.then(() => answered(), answered)
    return withDeadline(work, queryTimeoutMs, replaceIfWedged)
  }

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
    clients: repository(new PgClientRepository(db)),
    revocations: repository(new PgRevocationRepository(db)),
    secondFactors: repository(new PgSecondFactorRepository(db)),
    passkeys: repository(new PgPasskeyRepository(db)),
    userChanges: postgresUserChanges(url, {
      connectTimeoutSeconds: options.connectTimeoutSeconds ?? 5,
    }),
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
      closing = true
      closed ??= pool.end({ timeout: 5 })
      return closed
    },
  }
}
