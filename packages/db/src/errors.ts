/**
 * Driver errors translated into the few the business code branches on. Each has a stable
 * `code`, whichever dialect raised it.
 */
export class UniqueViolationError extends Error {
  readonly code = 'unique_violation'
  /** The index (constraint) name as the schema declares it, e.g. `users_email_key`, when known. */
  readonly constraint: string | undefined
  constructor(constraint: string | undefined, options?: ErrorOptions) {
    super(`unique constraint violated${constraint ? `: ${constraint}` : ''}`, options)
    this.name = 'UniqueViolationError'
    this.constraint = constraint
  }
}

/**
 * The database could not be reached, refused the connection, or did not answer in time (the
 * call's deadline or the server's statement timeout): callers answer 503.
 */
export class DatabaseUnavailableError extends Error {
  readonly code = 'database_unavailable'
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DatabaseUnavailableError'
  }
}

/**
 * A text value the database cannot store: PostgreSQL refuses a NUL byte (SQLSTATE 22021) or a
 * character its encoding lacks (22P05). Bad input, not a fault: callers answer 400.
 */
export class UnstorableTextError extends Error {
  readonly code = 'unstorable_text'
  constructor(options?: ErrorOptions) {
    super('a text value holds a character the database cannot store', options)
    this.name = 'UnstorableTextError'
  }
}

/** The tables are missing: the migrations have not been applied to this database. */
export class DatabaseNotMigratedError extends Error {
  readonly code = 'database_not_migrated'
  constructor(options?: ErrorOptions) {
    super('the database has no tables: apply the migrations first (pnpm db:migrate)', options)
    this.name = 'DatabaseNotMigratedError'
  }
}

export type DatabaseError =
  | UniqueViolationError
  | DatabaseUnavailableError
  | DatabaseNotMigratedError
  | UnstorableTextError

const PG_UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  // A write to a connection the server has closed (a restart): Node 24 often reports this where
  // Node 20 reported the reset or postgres.js's CONNECTION_CLOSED first.
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  // The server's own deadlines (DatabaseOptions.queryTimeoutMs): the statement or the idle
  // transaction took too long. Retryable like an outage, not a bug to answer with 500.
  '57014', // query_canceled (statement_timeout)
  '25P03', // idle_in_transaction_session_timeout
])

function causeChain(error: unknown): Record<string, unknown>[] {
  const chain: Record<string, unknown>[] = []
  let current: unknown = error
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    chain.push(current as Record<string, unknown>)
    current = (current as { cause?: unknown }).cause
  }
  return chain
}

/** PostgreSQL (postgres.js) errors: SQLSTATE 23505 is a unique violation. */
export function translatePgError(error: unknown): unknown {
  for (const link of causeChain(error)) {
    if (link.code === '23505') {
      return new UniqueViolationError(link.constraint_name as string | undefined, { cause: error })
    }
    if (link.code === '42P01') return new DatabaseNotMigratedError({ cause: error })
    if (link.code === '22021' || link.code === '22P05')
      return new UnstorableTextError({ cause: error })
    if (typeof link.code === 'string' && PG_UNAVAILABLE_CODES.has(link.code)) {
      return new DatabaseUnavailableError(`database unavailable (${link.code})`, { cause: error })
    }
  }
  return error
}

const SQLITE_UNIQUE = /UNIQUE constraint failed: ([\w.]+(?:, [\w.]+)*)/

/**
 * SQLite (better-sqlite3) errors: the message names columns, not the index, so the index name
 * is looked up from the columns the schema declares unique.
 */
export function translateSqliteError(
  error: unknown,
  uniqueIndexes: ReadonlyMap<string, string>,
): unknown {
  for (const link of causeChain(error)) {
    if (link.code === 'SQLITE_CONSTRAINT_UNIQUE' || link.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      const columns = SQLITE_UNIQUE.exec(String(link.message))?.[1]
      return new UniqueViolationError(columns ? uniqueIndexes.get(columns) : undefined, {
        cause: error,
      })
    }
    if (link.code === 'SQLITE_ERROR' && /^no such table/.test(String(link.message))) {
      return new DatabaseNotMigratedError({ cause: error })
    }
    if (link.code === 'SQLITE_BUSY' || link.code === 'SQLITE_CANTOPEN') {
      return new DatabaseUnavailableError(`database unavailable (${link.code})`, { cause: error })
    }
  }
  return error
}
