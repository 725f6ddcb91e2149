import type { AuditEventRepository } from './repositories/audit-event-repository.js'
import type { EmailOutboxRepository } from './repositories/email-outbox-repository.js'
import type { IdentityRepository } from './repositories/identity-repository.js'
import type { OneTimeTokenRepository } from './repositories/one-time-token-repository.js'
import type { SessionRepository } from './repositories/session-repository.js'
import type { SigningKeyRepository } from './repositories/signing-key-repository.js'
import type { UserRepository } from './repositories/user-repository.js'

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
  /** Resolves when the database answers a trivial query; rejects with the reason otherwise. */
  ping(): Promise<void>
  /** Closes the pool (PostgreSQL) or the file handle (SQLite). Idempotent. */
  close(): Promise<void>
}

export interface DatabaseOptions {
  /** PostgreSQL pool size. Default 10. */
  poolMax?: number
  /** PostgreSQL connect timeout, seconds. Default 5: a request fails fast while the server is down. */
  connectTimeoutSeconds?: number
  /** SQLite busy timeout, milliseconds: how long a writer waits for the other's lock. Default 5000. */
  busyTimeoutMs?: number
}

/**
 * Wraps every method of a repository so driver errors come out translated (unique violations,
 * unavailability), whichever dialect raised them.
 */
export function translatingErrors<T extends object>(
  repository: T,
  translate: (e: unknown) => unknown,
): T {
  return new Proxy(repository, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (typeof value !== 'function') return value
      return async (...args: unknown[]) => {
        try {
          return await value.apply(target, args)
        } catch (error) {
          throw translate(error)
        }
      }
    },
  })
}
