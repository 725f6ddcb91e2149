import { asc, count, eq, inArray, isNull, sql } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { EmailOutboxRecord, NewEmailOutbox } from '../records.js'
import * as schema from '../schema/sqlite.js'
import { dueMail } from './conditions.js'
import type { EmailOutboxRepository } from './email-outbox-repository.js'

const { emailOutbox } = schema

export class SqliteEmailOutboxRepository implements EmailOutboxRepository {
  constructor(private readonly db: BetterSQLite3Database<typeof schema>) {}

  async enqueue(mail: NewEmailOutbox): Promise<void> {
    this.db.insert(emailOutbox).values(mail).run()
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
      .set({ sentAt: at, lockedUntil: null })
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
}
