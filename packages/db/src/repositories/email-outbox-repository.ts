import type { EmailOutboxRecord, NewEmailOutbox } from '../records.js'

/**
 * The mail outbox. Bodies are opaque strings here: whatever the application puts in (the
 * auth-service seals them) is what it gets back.
 */
export interface EmailOutboxRepository {
  enqueue(mail: NewEmailOutbox): Promise<void>
  /**
   * Leases up to `limit` mails that are due: unsent, next attempt at or before `now`, and not
   * leased by another worker. A leased mail is invisible to other workers until `leaseUntil`.
   */
  claimDue(now: Date, limit: number, leaseUntil: Date): Promise<EmailOutboxRecord[]>
  /**
   * Marks a mail sent and drops its bodies (they carry one-time links); kind, address, subject
   * and times stay.
   */
  markSent(id: string, at: Date): Promise<void>
  /** Records a failed attempt and when to try again. */
  markFailed(id: string, error: string, nextAttemptAt: Date): Promise<void>
  /** Mails not yet sent. */
  pendingCount(): Promise<number>
}
