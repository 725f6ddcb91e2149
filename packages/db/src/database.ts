import type { AuditEventRepository } from './repositories/audit-event-repository.js'
import type { ClientRepository } from './repositories/client-repository.js'
import type { EmailOutboxRepository } from './repositories/email-outbox-repository.js'
import type { IdentityRepository } from './repositories/identity-repository.js'
import type { OneTimeTokenRepository } from './repositories/one-time-token-repository.js'
import type { PasskeyRepository } from './repositories/passkey-repository.js'
import type { RevocationRepository } from './repositories/revocation-repository.js'
import type { SecondFactorRepository } from './repositories/second-factor-repository.js'
import type { SessionRepository } from './repositories/session-repository.js'
import type { SigningKeyRepository } from './repositories/signing-key-repository.js'
import type { UserRepository } from './repositories/user-repository.js'
import type { UserChangeFeed } from './user-changes.js'

export type Dialect = 'postgres' | 'sqlite'

/**
 * The data-access layer: one repository per aggregate, the same interface on both dialects.
 * Business code holds a `Database` and never sees Drizzle or a driver.
 */
export interface Database {
  readonly dialect: Dialect
  readonly users: UserRepository
  readonly signingKeys: SigningKeyRepository
  readonly auditEvents: AuditEventRepository
  readonly sessions: SessionRepository
  readonly identities: IdentityRepository
  readonly oneTimeTokens: OneTimeTokenRepository
  readonly emailOutbox: EmailOutboxRepository
  readonly clients: ClientRepository
  /** The revocation feed: sessions ended and users disabled, by cursor. */
  readonly revocations: RevocationRepository
  /** The authenticator app and recovery codes of each user. */
  readonly secondFactors: SecondFactorRepository
  /** Each user's passkeys and the WebAuthn challenges in flight. */
  readonly passkeys: PasskeyRepository
  /** Which users' profile rows changed, from any writer (the users-service's profile cache). */
  readonly userChanges: UserChangeFeed
  /** Resolves when the database answers a trivial query; rejects with the reason otherwise. */
  ping(): Promise<void>
  /** Closes the pool (PostgreSQL) or the file handle (SQLite). Idempotent. */
  close(): Promise<void>
}

/**
 * Default deadline of a PostgreSQL data-access call, milliseconds: the queries behind a request
 * take a few ms, so 3 s is far past any healthy answer (even queued behind a busy pool on a
 * loaded machine) yet short enough that a client retrying after Retry-After sees no hang.
 */
export const DEFAULT_QUERY_TIMEOUT_MS = 3000

export interface DatabaseOptions {
  /** PostgreSQL pool size. Default 10. */
  poolMax?: number
  /** PostgreSQL connect timeout, seconds. Default 5: a request fails fast while the server is down. */
  connectTimeoutSeconds?: number
  /** SQLite busy timeout, milliseconds: how long a writer waits for the other's lock. Default 5000. */
  busyTimeoutMs?: number
  /**
   * PostgreSQL: the deadline of each data-access call (one repository method or `ping`: its wait
   * for a pooled connection and all its statements), milliseconds. Default 3000. A call that
   * has no answer by then rejects with `DatabaseUnavailableError`, which the services answer
   * with 503 and Retry-After. The server is told to give up on its own too: `statement_timeout`
   * is 80 % of it and `idle_in_transaction_session_timeout` equals it. SQLite calls are
   * synchronous and bounded by `busyTimeoutMs` instead.
   */
  queryTimeoutMs?: number
}

/**
 * Runs one data-access call; e.g. under a deadline (see `withDeadline`). A call may return a
 * lazy thenable (a drizzle query builder runs on each `then`), so a guard must subscribe to it
 * once.
 */
export type CallGuard = <R>(call: () => PromiseLike<R>) => Promise<R>

/**
 * Wraps every method of a repository so driver errors come out translated (unique violations,
 * unavailability), whichever dialect raised them, and each call runs through `guard` when one
 * is given: PostgreSQL's puts every call under its deadline (`DatabaseOptions.queryTimeoutMs`).
 */
export function translatingErrors<T extends object>(
  repository: T,
  translate: (e: unknown) => unknown,
  guard?: CallGuard,
): T {
  return new Proxy(repository, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (typeof value !== 'function') return value
      return async (...args: unknown[]) => {
        try {
          return await (guard ? guard(() => value.apply(target, args)) : value.apply(target, args))
        } catch (error) {
          throw translate(error)
        }
      }
    },
  })
}
