import { isAbsolute, resolve } from 'node:path'

export type DatabaseTarget =
  | { dialect: 'postgres'; url: string }
  | { dialect: 'sqlite'; path: string }

/** Where the embedded default lives when DATABASE_URL is unset: ./data/ under the working dir. */
export const DEFAULT_SQLITE_PATH = './data/authpair.db'

export class DatabaseUrlError extends Error {
  readonly code = 'invalid_database_url'
}

/**
 * DATABASE_URL picks the dialect: `postgres://` or `postgresql://` is PostgreSQL; a file path
 * (or `file:` / `sqlite:` followed by one) is SQLite; unset is SQLite under ./data/. Any other
 * scheme is refused rather than mistaken for a file name.
 */
export function parseDatabaseUrl(raw: string | undefined, cwd = process.cwd()): DatabaseTarget {
  const value = raw?.trim() ?? ''
  if (value === '') return { dialect: 'sqlite', path: resolve(cwd, DEFAULT_SQLITE_PATH) }
  if (/^postgres(ql)?:\/\//i.test(value)) {
    let parsed: URL
    try {
      parsed = new URL(value)
    } catch {
      throw new DatabaseUrlError('is not a valid postgres:// URL')
    }
    if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
      throw new DatabaseUrlError('postgres:// URL has no host')
    }
    return { dialect: 'postgres', url: value }
  }
  const fileMatch = /^(?:sqlite|file):(?:\/\/)?(.*)$/i.exec(value)
  if (fileMatch) {
    const path = fileMatch[1] ?? ''
    if (path === '') throw new DatabaseUrlError('names no SQLite file')
    return { dialect: 'sqlite', path: path === ':memory:' ? path : resolveFrom(cwd, path) }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    const scheme = value.slice(0, value.indexOf(':'))
    throw new DatabaseUrlError(
      `scheme "${scheme}" is not supported (use postgres://… or a SQLite file path)`,
    )
  }
  return { dialect: 'sqlite', path: value === ':memory:' ? value : resolveFrom(cwd, value) }
}

function resolveFrom(cwd: string, path: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path)
}

/** The URL with any password replaced, for logs and error messages. */
export function redactDatabaseUrl(target: DatabaseTarget): string {
  if (target.dialect === 'sqlite') return `sqlite:${target.path}`
  try {
    const url = new URL(target.url)
    if (url.password) url.password = '***'
    return url.toString()
  } catch {
    return 'postgres://(unparseable)'
  }
}
