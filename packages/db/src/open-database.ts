import type { DatabaseTarget } from './connection-url.js'
import type { Database, DatabaseOptions } from './database.js'
import { openPostgres } from './database.pg.js'
import { openSqlite } from './database.sqlite.js'

/** Opens the data-access layer for a parsed DATABASE_URL. Nothing connects until first use. */
export function openDatabase(target: DatabaseTarget, options: DatabaseOptions = {}): Database {
  return target.dialect === 'postgres'
    ? openPostgres(target.url, options)
    : openSqlite(target.path, options)
}
