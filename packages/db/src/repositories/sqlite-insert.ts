import { getTableColumns, type SQL, sql } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core'
import type * as schema from '../schema/sqlite.js'

type Row<T extends SQLiteTable> = T['$inferSelect']
type NewRow<T extends SQLiteTable> = T['$inferInsert']

export interface PreparedInsert<T extends SQLiteTable> {
  /** Inserts the row and returns it as stored. */
  get(row: NewRow<T>): Row<T>
  /** Inserts the row. */
  run(row: NewRow<T>): void
}

/**
 * A prepared INSERT of every column of `table`, built from the table's definition: a column
 * added to the schema is bound from then on, never silently dropped on SQLite (a hand-written
 * column list was; test/sqlite-statements.test.ts proves every column round-trips). An omitted
 * value takes the column's declared default, else null. Prepare it once the table exists.
 */
export function preparedInsert<T extends SQLiteTable>(
  db: BetterSQLite3Database<typeof schema>,
  table: T,
): PreparedInsert<T> {
  const columns = Object.entries(getTableColumns(table)) as [string, SQLiteColumn][]
  const values: Record<string, SQL | ReturnType<typeof sql.placeholder>> = {}
  // Nullable times go in as SQL (epoch ms, the column's storage, or null): drizzle's timestamp
  // encoder does not accept the null a placeholder may carry.
  const rawTimes = new Set<string>()
  for (const [key, column] of columns) {
    if (column.columnType === 'SQLiteTimestamp' && !column.notNull) {
      values[key] = sql`${sql.placeholder(key)}`
      rawTimes.add(key)
    } else {
      values[key] = sql.placeholder(key)
    }
  }
  const statement = db
    .insert(table)
    .values(values as never)
    .returning()
    .prepare()
  const bind = (row: NewRow<T>): Record<string, unknown> => {
    const given = row as Record<string, unknown>
    const bound: Record<string, unknown> = {}
    for (const [key, column] of columns) {
      let value = given[key]
      if (value === undefined) value = column.hasDefault ? column.default : null
      if (rawTimes.has(key)) value = value instanceof Date ? value.getTime() : (value ?? null)
      bound[key] = value
    }
    return bound
  }
  return {
    get(row) {
      const stored = statement.get(bind(row)) as Row<T> | undefined
      if (!stored) throw new Error(`insert into ${String(table)} returned no row`)
      return stored
    },
    run(row) {
      statement.run(bind(row))
    },
  }
}
