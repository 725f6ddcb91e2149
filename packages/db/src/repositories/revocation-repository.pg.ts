import { asc, gt, lt, max, min, sql } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { NewRevocation, RevocationRecord } from '../records.js'
import * as schema from '../schema/pg.js'
import type { RevocationRepository } from './revocation-repository.js'

const { revocations } = schema

/** A transaction of this schema (or the database itself). */
type Executor = Pick<PostgresJsDatabase<typeof schema>, 'execute' | 'insert'>

/**
 * Appends revocations inside the caller's transaction. Identity values are handed out at insert
 * time but become visible at commit, so two concurrent writers could commit ids out of order and
 * a reader between the commits would move its cursor past the later-committed lower id. The
 * transaction-scoped advisory lock makes appends one at a time until commit: ids become visible
 * in order. Revocations are rare (logouts, password changes), so the wait is nothing.
 */
export async function appendRevocations(
  tx: Executor,
  entries: readonly NewRevocation[],
): Promise<void> {
  if (entries.length === 0) return
  await tx.execute(sql`select pg_advisory_xact_lock(${REVOCATIONS_LOCK})`)
  await tx.insert(revocations).values([...entries])
}

/** The advisory lock key of the feed's appends (any constant no other code uses). */
const REVOCATIONS_LOCK = 0x6175_7468_7276 // "authrv"

export class PgRevocationRepository implements RevocationRepository {
  constructor(private readonly db: PostgresJsDatabase<typeof schema>) {}

  append(entries: readonly NewRevocation[]): Promise<void> {
    return this.db.transaction((tx) => appendRevocations(tx, entries))
  }

  after(cursor: number, limit: number): Promise<RevocationRecord[]> {
    return this.db
      .select()
      .from(revocations)
      .where(gt(revocations.id, cursor))
      .orderBy(asc(revocations.id))
      .limit(limit) as Promise<RevocationRecord[]>
  }

  async latestId(): Promise<number> {
    const [row] = await this.db.select({ id: max(revocations.id) }).from(revocations)
    return Number(row?.id ?? 0)
  }

  async oldestId(): Promise<number | undefined> {
    const [row] = await this.db.select({ id: min(revocations.id) }).from(revocations)
    return row?.id == null ? undefined : Number(row.id)
  }

  async pruneBefore(before: Date): Promise<number> {
    const rows = await this.db
      .delete(revocations)
      .where(lt(revocations.revokedAt, before))
      .returning({ id: revocations.id })
    return rows.length
  }
}
