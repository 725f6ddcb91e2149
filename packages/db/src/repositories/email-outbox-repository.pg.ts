import { asc, count, eq, inArray, isNull, sql } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { EmailOutboxRecord, NewEmailOutbox } from '../records.js'
import * as schema from '../schema/pg.js'
import { dueMail } from './conditions.js'
import type { EmailOutboxRepository } from './email-outbox-repository.js'

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
}
