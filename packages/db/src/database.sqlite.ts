import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { getTableConfig, type SQLiteTable } from 'drizzle-orm/sqlite-core'
import type { Database, DatabaseOptions } from './database.js'
import { translatingErrors } from './database.js'
import { translateSqliteError } from './errors.js'
import { SqliteAuditEventRepository } from './repositories/audit-event-repository.sqlite.js'
import { SqliteClientRepository } from './repositories/client-repository.sqlite.js'
import { SqliteEmailOutboxRepository } from './repositories/email-outbox-repository.sqlite.js'
import { SqliteIdentityRepository } from './repositories/identity-repository.sqlite.js'
import { SqliteOneTimeTokenRepository } from './repositories/one-time-token-repository.sqlite.js'
import { SqlitePasskeyRepository } from './repositories/passkey-repository.sqlite.js'
import { SqliteRevocationRepository } from './repositories/revocation-repository.sqlite.js'
import { SqliteSecondFactorRepository } from './repositories/second-factor-repository.sqlite.js'
import { SqliteSessionRepository } from './repositories/session-repository.sqlite.js'
import { SqliteSigningKeyRepository } from './repositories/signing-key-repository.sqlite.js'
import { SqliteUserRepository } from './repositories/user-repository.sqlite.js'
import * as schema from './schema/sqlite.js'
import { sqliteUserChanges } from './user-changes.js'

/**
 * Opens (creating if needed) the SQLite file with the pragmas that let both services share it:
 * WAL so readers never block the writer, a busy timeout so a second writer waits instead of
 * failing, foreign keys on (SQLite leaves them off by default).
 */
export function openSqliteHandle(
  path: string,
  options: DatabaseOptions = {},
): BetterSqlite3.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const handle = new BetterSqlite3(path)
  handle.pragma('journal_mode = WAL')
  handle.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`)
  handle.pragma('foreign_keys = ON')
  // NORMAL is durable in WAL mode except on power loss, the documented trade-off for WAL.
  handle.pragma('synchronous = NORMAL')
  return handle
}

/** `users.email` → `users_email_key`: SQLite names columns in errors, not the index. */
function uniqueIndexNames(): Map<string, string> {
  const names = new Map<string, string>()
  for (const table of Object.values(schema) as SQLiteTable[]) {
    const config = getTableConfig(table)
    for (const column of config.columns) {
      if (column.primary) names.set(`${config.name}.${column.name}`, `${config.name}_pkey`)
    }
    for (const idx of config.indexes) {
      if (!idx.config.unique) continue
      const columns = idx.config.columns.map(
        (c) => `${config.name}.${(c as { name: string }).name}`,
      )
      names.set(columns.join(', '), idx.config.name)
    }
  }
  return names
}

export function openSqlite(path: string, options: DatabaseOptions = {}): Database {
  const handle = openSqliteHandle(path, options)
  const db = drizzle({ client: handle, schema })
  const indexes = uniqueIndexNames()
  const translate = (error: unknown) => translateSqliteError(error, indexes)
  return {
    dialect: 'sqlite',
    users: translatingErrors(new SqliteUserRepository(db), translate),
    signingKeys: translatingErrors(new SqliteSigningKeyRepository(db), translate),
    auditEvents: translatingErrors(new SqliteAuditEventRepository(db), translate),
    sessions: translatingErrors(new SqliteSessionRepository(db), translate),
    identities: translatingErrors(new SqliteIdentityRepository(db), translate),
    oneTimeTokens: translatingErrors(new SqliteOneTimeTokenRepository(db), translate),
    emailOutbox: translatingErrors(new SqliteEmailOutboxRepository(db), translate),
    clients: translatingErrors(new SqliteClientRepository(db), translate),
    revocations: translatingErrors(new SqliteRevocationRepository(db), translate),
    secondFactors: translatingErrors(new SqliteSecondFactorRepository(db), translate),
    passkeys: translatingErrors(new SqlitePasskeyRepository(db), translate),
    userChanges: sqliteUserChanges(handle),
    async ping() {
      handle.prepare('select 1').get()
    },
    async close() {
      if (handle.open) handle.close()
    },
  }
}
