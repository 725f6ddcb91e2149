import { asc, count, eq, inArray, isNull, lt, sql } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { EmailOutboxRecord, NewEmailOutbox } from '../records.js'
import * as schema from '../schema/sqlite.js'
import { abandonedMail, dueMail } from './conditions.js'
import type { AbandonedMail, EmailOutboxRepository } from './email-outbox-repository.js'
import { preparedInsert } from './sqlite-insert.js'

const { emailOutbox } = schema

/**
 * One mail into the outbox, as a prepared statement (build it once the table exists): used by
 * enqueue() and inside the one-time-token transaction that issues a token with its mail.
 */
export function prepareMailInsert(
  db: BetterSQLite3Database<typeof schema>,
): (mail: NewEmailOutbox) => void {
  const insert = preparedInsert(db, emailOutbox)
  return (mail) => insert.run(mail)
}

export class SqliteEmailOutboxRepository implements EmailOutboxRepository {
  constructor(private readonly db: BetterSQLite3Database<typeof schema>) {}

  private insertMail?: (mail: NewEmailOutbox) => void

  async enqueue(mail: NewEmailOutbox): Promise<void> {
    this.insertMail ??= prepareMailInsert(this.db)
    this.insertMail(mail)
  }

  async claimDue(now: Date, limit: number, leaseUntil: Date): Promise<EmailOutboxRecord[]> {
    // One synchronous IMMEDIATE transaction: another process's worker waits for the write lock
    // and then sees the lease.
    return this.db.transaction(
      (tx) => {
        const due = tx
          .select({ id: emailOutbox.id })
          .from(emailOutbox)
          .where(dueMail(emailOutbox, now))
          .orderBy(asc(emailOutbox.nextAttemptAt))
          .limit(limit)
          .all()
        if (due.length === 0) return []
        return tx
          .update(emailOutbox)
          .set({ lockedUntil: leaseUntil })
          .where(
            inArray(
              emailOutbox.id,
              due.map((d) => d.id),
            ),
          )
          .returning()
          .all()
      },
      { behavior: 'immediate' },
    )
  }

  async markSent(id: string, at: Date): Promise<void> {
    this.db
      .update(emailOutbox)
      .set({ sentAt: at, lockedUntil: null, textBody: null, htmlBody: null })
      .where(eq(emailOutbox.id, id))
      .run()
  }

  async markFailed(id: string, error: string, nextAttemptAt: Date): Promise<void> {
    this.db
      .update(emailOutbox)
      .set({
        attempts: sql`${emailOutbox.attempts} + 1`,
        lastError: error.slice(0, 1000),
        nextAttemptAt,
        lockedUntil: null,
      })
      .where(eq(emailOutbox.id, id))
      .run()
  }

  async pendingCount(): Promise<number> {
    const row = this.db
      .select({ n: count() })
      .from(emailOutbox)
      .where(isNull(emailOutbox.sentAt))
      .get()
    return Number(row?.n ?? 0)
  }

  // One statement each: SQLite runs it under the database's single write lock, so concurrent
  // sweeps (other processes on the same file) delete disjoint rows, and the LIMIT keeps the lock
  // short enough for request writes to interleave (they wait up to busy_timeout).

  async deleteSent(sentBefore: Date, limit: number): Promise<number> {
    const batch = this.db
      .select({ id: emailOutbox.id })
      .from(emailOutbox)
      .where(lt(emailOutbox.sentAt, sentBefore))
      .limit(limit)
    return this.db.delete(emailOutbox).where(inArray(emailOutbox.id, batch)).run().changes
  }

  async deleteUnsent(createdBefore: Date, now: Date, limit: number): Promise<AbandonedMail[]> {
    const batch = this.db
      .select({ id: emailOutbox.id })
      .from(emailOutbox)
      .where(abandonedMail(emailOutbox, createdBefore, now))
      .limit(limit)
    return this.db
      .delete(emailOutbox)
      .where(inArray(emailOutbox.id, batch))
      .returning({
        id: emailOutbox.id,
        kind: emailOutbox.kind,
        createdAt: emailOutbox.createdAt,
        attempts: emailOutbox.attempts,
        lastError: emailOutbox.lastError,
      })
      .all()
  }
}
