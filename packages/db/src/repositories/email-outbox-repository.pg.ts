import { asc, count, eq, inArray, isNull, lt, sql } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { EmailOutboxRecord, NewEmailOutbox } from '../records.js'
import * as schema from '../schema/pg.js'
import { abandonedMail, dueMail } from './conditions.js'
import type { AbandonedMail, EmailOutboxRepository } from './email-outbox-repository.js'

const { emailOutbox } = schema

export class PgEmailOutboxRepository implements EmailOutboxRepository {
  constructor(private readonly db: PostgresJsDatabase<typeof schema>) {}

  async enqueue(mail: NewEmailOutbox): Promise<void> {
    await this.db.insert(emailOutbox).values(mail)
  }

  claimDue(now: Date, limit: number, leaseUntil: Date): Promise<EmailOutboxRecord[]> {
    return this.db.transaction(async (tx) => {
      // SKIP LOCKED: two workers (two replicas) never lease the same mail.
      const due = await tx
        .select({ id: emailOutbox.id })
        .from(emailOutbox)
        .where(dueMail(emailOutbox, now))
        .orderBy(asc(emailOutbox.nextAttemptAt))
        .limit(limit)
        .for('update', { skipLocked: true })
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
    })
  }

  async markSent(id: string, at: Date): Promise<void> {
    await this.db
      .update(emailOutbox)
      .set({ sentAt: at, lockedUntil: null, textBody: null, htmlBody: null })
      .where(eq(emailOutbox.id, id))
  }

  async markFailed(id: string, error: string, nextAttemptAt: Date): Promise<void> {
    await this.db
      .update(emailOutbox)
      .set({
        attempts: sql`${emailOutbox.attempts} + 1`,
        lastError: error.slice(0, 1000),
        nextAttemptAt,
        lockedUntil: null,
      })
      .where(eq(emailOutbox.id, id))
  }

  async pendingCount(): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(emailOutbox)
      .where(isNull(emailOutbox.sentAt))
    return Number(row?.n ?? 0)
  }

  // Both deletes pick their batch with FOR UPDATE SKIP LOCKED: two replicas sweeping at once
  // take disjoint rows instead of queueing behind each other's locks, and a row that claimDue
  // is leasing at this instant is skipped (its lease then keeps it out of deleteUnsent).

  async deleteSent(sentBefore: Date, limit: number): Promise<number> {
    const batch = this.db
      .select({ id: emailOutbox.id })
      .from(emailOutbox)
      .where(lt(emailOutbox.sentAt, sentBefore))
      .limit(limit)
      .for('update', { skipLocked: true })
    const deleted = await this.db
      .delete(emailOutbox)
      .where(inArray(emailOutbox.id, batch))
      .returning({ id: emailOutbox.id })
    return deleted.length
  }

  deleteUnsent(createdBefore: Date, now: Date, limit: number): Promise<AbandonedMail[]> {
    const batch = this.db
      .select({ id: emailOutbox.id })
      .from(emailOutbox)
      .where(abandonedMail(emailOutbox, createdBefore, now))
      .limit(limit)
      .for('update', { skipLocked: true })
    return this.db.delete(emailOutbox).where(inArray(emailOutbox.id, batch)).returning({
      id: emailOutbox.id,
      kind: emailOutbox.kind,
      createdAt: emailOutbox.createdAt,
      attempts: emailOutbox.attempts,
      lastError: emailOutbox.lastError,
    })
  }
}
