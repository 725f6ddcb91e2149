import type { EmailOutboxRecord, NewEmailOutbox } from '../records.js'

/** A mail the retention sweep deleted unsent: what the caller reports about it. */
export type AbandonedMail = Pick<
  EmailOutboxRecord,
  'id' | 'kind' | 'createdAt' | 'attempts' | 'lastError'
>

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
   * and times stay until the retention sweep deletes the row.
   */
  markSent(id: string, at: Date): Promise<void>
  /** Records a failed attempt and when to try again. */
  markFailed(id: string, error: string, nextAttemptAt: Date): Promise<void>
  /** Mails not yet sent. */
  pendingCount(): Promise<number>
  /**
   * Deletes up to `limit` mails sent before `sentBefore`; returns how many. One short
   * statement per call; callers loop for more. Concurrent callers (replicas) delete disjoint
   * rows.
   */
  deleteSent(sentBefore: Date, limit: number): Promise<number>
  /**
   * Deletes up to `limit` unsent mails created before `createdBefore` and not leased at `now`,
   * and returns them: each deleted row is returned to exactly one caller, so a sweep running
   * on several replicas reports each abandoned mail once.
   */
  deleteUnsent(createdBefore: Date, now: Date, limit: number): Promise<AbandonedMail[]>
}
