import type { EmailOutboxRecord, NewEmailOutbox } from '../records.js'

export interface EmailOutboxRepository {
  enqueue(mail: NewEmailOutbox): Promise<void>
  /**
   * Leases up to `limit` mails that are due: unsent, next attempt at or before `now`, and not
   * leased by another worker. A leased mail is invisible to other workers until `leaseUntil`.
   */
  claimDue(now: Date, limit: number, leaseUntil: Date): Promise<EmailOutboxRecord[]>
  markSent(id: string, at: Date): Promise<void>
  /** Records a failed attempt and when to try again. */
  markFailed(id: string, error: string, nextAttemptAt: Date): Promise<void>
  /** Mails not yet sent. */
  pendingCount(): Promise<number>
}
