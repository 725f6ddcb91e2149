import { asc, gt, lt, max, min } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { NewRevocation, RevocationRecord } from '../records.js'
import * as schema from '../schema/sqlite.js'
import type { RevocationRepository } from './revocation-repository.js'

const { revocations } = schema

/**
 * Appends revocations on the caller's connection (inside its transaction, if any). SQLite has
 * one writer at a time, so ids become visible in order without a lock of our own.
 */
export function appendRevocations(
  db: Pick<BetterSQLite3Database<typeof schema>, 'insert'>,
  entries: readonly NewRevocation[],
): void {
  if (entries.length === 0) return
  db.insert(revocations)
    .values([...entries])
    .run()
}

export class SqliteRevocationRepository implements RevocationRepository {
  constructor(private readonly db: BetterSQLite3Database<typeof schema>) {}

  async append(entries: readonly NewRevocation[]): Promise<void> {
    appendRevocations(this.db, entries)
  }

  async after(cursor: number, limit: number): Promise<RevocationRecord[]> {
    return this.db
      .select()
      .from(revocations)
      .where(gt(revocations.id, cursor))
      .orderBy(asc(revocations.id))
      .limit(limit)
      .all() as RevocationRecord[]
  }

  async latestId(): Promise<number> {
    return (
      this.db
        .select({ id: max(revocations.id) })
        .from(revocations)
        .get()?.id ?? 0
    )
  }

  async oldestId(): Promise<number | undefined> {
    return (
      this.db
        .select({ id: min(revocations.id) })
        .from(revocations)
        .get()?.id ?? undefined
    )
  }

  async pruneBefore(before: Date): Promise<number> {
    return this.db.delete(revocations).where(lt(revocations.revokedAt, before)).run().changes
  }
}
