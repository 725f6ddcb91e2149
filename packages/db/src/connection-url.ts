import { isAbsolute, resolve } from 'node:path'

export type DatabaseTarget =
  | { dialect: 'postgres'; url: string }
  | { dialect: 'sqlite'; path: string }

/** DATA_DIR's default: ./data/ under the working directory. */
export const DEFAULT_DATA_DIR = './data'

/** The embedded default's file name inside DATA_DIR. */
export const SQLITE_FILE_NAME = 'authpair.db'

/** Where the embedded default lives when neither DATABASE_URL nor DATA_DIR is set. */
export const DEFAULT_SQLITE_PATH = `${DEFAULT_DATA_DIR}/${SQLITE_FILE_NAME}`

export class DatabaseUrlError extends Error {
  readonly code = 'invalid_database_url'
}

/**
 * DATABASE_URL picks the dialect: `postgres://` or `postgresql://` is PostgreSQL; a file path
 * (or `file:` / `sqlite:` followed by one) is SQLite; unset is SQLite in the data directory
 * (`dataDir`, DATA_DIR: ./data/ by default), the same directory that holds the development
 * key-encryption key, so the two always move together. Any other scheme is refused rather than
 * mistaken for a file name.
 */
export function parseDatabaseUrl(
  raw: string | undefined,
  cwd = process.cwd(),
  dataDir: string | undefined = DEFAULT_DATA_DIR,
): DatabaseTarget {
  const value = raw?.trim() ?? ''
  if (value === '') {
    const dir = dataDir?.trim() || DEFAULT_DATA_DIR
    return { dialect: 'sqlite', path: resolve(cwd, dir, SQLITE_FILE_NAME) }
  }
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
