import type { AbandonedMail, Database, EmailOutboxRecord } from '@authpair/db'
import type { FastifyBaseLogger } from 'fastify'
import { type MailSeal, MailUnreadableError } from './mail-seal.js'
import type { Mailer } from './mailer.js'

export interface OutboxWorkerOptions {
  from: string
  /** Poll interval, ms. */
  pollIntervalMs: number
  /** First retry after this many ms; doubles per attempt. */
  retryBaseMs: number
  /** Retries are never further apart than this, ms (until the mail goes or is abandoned). */
  retryMaxMs: number
  /** Mails leased per poll. */
  batchSize: number
  /** Opens the sealed bodies just before a mail is sent. */
  mailSeal: Pick<MailSeal, 'open'>
  /**
   * How long a row is kept, ms: a sent mail this long after it was sent; an unsent one this
   * long after it was queued, after which it is abandoned (deleted, logged, counted).
   */
  retentionMs: number
  /** The retention sweep runs when the worker starts, then at most this often, ms. */
  sweepIntervalMs: number
  /** Rows one delete statement of the sweep may take. Default 500. */
  sweepBatchSize?: number
  /** Statements per sweep for each of sent and abandoned mail; the rest waits. Default 20. */
  sweepMaxBatches?: number
  now: () => Date
  log: FastifyBaseLogger
  onSent?: (mail: EmailOutboxRecord) => void
  onFailed?: (mail: EmailOutboxRecord, error: Error) => void
  onAbandoned?: (mail: AbandonedMail) => void
}

/** What one retention sweep deleted. */
export interface SweepResult {
  /** Sent mail past retention. */
  sent: number
  /** Unsent mail past retention (each also logged at error level). */
  abandoned: number
}

// A batch of 500 is one short statement: a few ms of row locks on PostgreSQL, of the single
// write lock on SQLite (request writes wait for it, up to busy_timeout). 20 batches bound one
// sweep's work; a larger backlog (the first sweep after an upgrade) is worked off over the next
// sweeps instead of in one long burst.
const SWEEP_BATCH_SIZE = 500
const SWEEP_MAX_BATCHES = 20

/**
 * Sends the outbox. Each poll leases due mail (so replicas never send the same row), sends it,
 * and marks it sent; a failure is recorded with an exponentially later next attempt. An SMTP
 * outage therefore delays mail but loses none within the retention period; a mail is sent twice
 * only if the process dies between the SMTP server's acceptance and the mark (the lease then
 * expires and it is resent, with the same Message-ID so receivers can drop the copy).
 *
 * The same loop runs the retention sweep, at start and then every `sweepIntervalMs` (not every
 * poll: retention is counted in days). Every replica sweeps; the deletes are built so that
 * concurrent sweeps take disjoint rows, and a row leased for sending is never deleted.
 */
export class OutboxWorker {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<number> | undefined
  private sweeping: Promise<SweepResult> | undefined
  /** On the worker's clock (`now`), like every other time here; -Infinity: sweep at start. */
  private nextSweepAt = Number.NEGATIVE_INFINITY
  private stopped = false

  constructor(
    private readonly db: Database,
    private readonly mailer: Mailer,
    private readonly options: OutboxWorkerOptions,
  ) {}

  start(): void {
    this.stopped = false
    const loop = async () => {
      if (this.stopped) return
      await this.tick().catch((err) => this.options.log.warn({ err }, 'outbox poll failed'))
      const now = this.options.now().getTime()
      if (!this.stopped && now >= this.nextSweepAt) {
        this.nextSweepAt = now + this.options.sweepIntervalMs
        await this.sweep().catch((err) =>
          this.options.log.warn({ err }, 'outbox retention sweep failed'),
        )
      }
      if (!this.stopped) this.timer = setTimeout(loop, this.options.pollIntervalMs)
    }
    this.timer = setTimeout(loop, 0)
  }

  /** Stops polling and waits for a send or sweep in progress. */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await Promise.all([this.running?.catch(() => 0), this.sweeping?.catch(() => undefined)])
  }

  /**
   * One retention sweep: deletes sent mail older than the retention period (by sent_at), and
   * abandons unsent mail queued longer ago than that (by created_at). Bounded: at most
   * `sweepMaxBatches` statements of `sweepBatchSize` rows for each.
   */
  sweep(): Promise<SweepResult> {
    this.sweeping ??= this.deleteExpired().finally(() => {
      this.sweeping = undefined
    })
    return this.sweeping
  }

  private async deleteExpired(): Promise<SweepResult> {
    const now = this.options.now()
    const cutoff = new Date(now.getTime() - this.options.retentionMs)
    const batchSize = this.options.sweepBatchSize ?? SWEEP_BATCH_SIZE
    const maxBatches = this.options.sweepMaxBatches ?? SWEEP_MAX_BATCHES
    const result: SweepResult = { sent: 0, abandoned: 0 }
    for (let i = 0; i < maxBatches; i++) {
      const deleted = await this.db.emailOutbox.deleteSent(cutoff, batchSize)
      result.sent += deleted
      if (deleted < batchSize) break
    }
    for (let i = 0; i < maxBatches; i++) {
      const abandoned = await this.db.emailOutbox.deleteUnsent(cutoff, now, batchSize)
      for (const mail of abandoned) {
        // The address is not logged: logs outlive the retention period this enforces.
        this.options.log.error(
          {
            mailId: mail.id,
            kind: mail.kind,
            queuedAt: mail.createdAt.toISOString(),
            attempts: mail.attempts,
            lastError: mail.lastError,
          },
          'mail abandoned: not sent within OUTBOX_RETENTION_DAYS; deleted',
        )
        this.options.onAbandoned?.(mail)
      }
      result.abandoned += abandoned.length
      if (abandoned.length < batchSize) break
    }
    if (result.sent > 0 || result.abandoned > 0) {
      this.options.log.info(result, 'outbox retention sweep deleted mail')
    }
    return result
  }

  /** One poll: leases and sends what is due. Returns how many were sent. */
  tick(): Promise<number> {
    this.running ??= this.sendDue().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  private async sendDue(): Promise<number> {
    const now = this.options.now()
    // The lease outlasts a slow SMTP exchange of the whole batch.
    const leaseUntil = new Date(now.getTime() + 60_000 + this.options.batchSize * 20_000)
    const due = await this.db.emailOutbox.claimDue(now, this.options.batchSize, leaseUntil)
    let sent = 0
    for (const mail of due) {
      try {
        // Opened here, per mail: the plain bodies live only for this send, and one that does
        // not open fails alone (below) while the rest of the batch goes out.
        const { text, html } = this.options.mailSeal.open(mail)
        await this.mailer.send({
          messageId: `<${mail.id}@authpair.outbox>`,
          from: this.options.from,
          to: mail.toAddress,
          subject: mail.subject,
          text,
          html,
        })
        await this.db.emailOutbox.markSent(mail.id, this.options.now())
        sent++
        this.options.onSent?.(mail)
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err))
        const delay = Math.min(
          this.options.retryMaxMs,
          this.options.retryBaseMs * 2 ** mail.attempts,
        )
        const next = new Date(this.options.now().getTime() + delay)
        await this.db.emailOutbox
          .markFailed(mail.id, error.message, next)
          .catch((markErr) =>
            this.options.log.error({ err: markErr }, 'could not record a mail failure'),
          )
        const context = {
          mailId: mail.id,
          kind: mail.kind,
          attempts: mail.attempts + 1,
          retryInMs: delay,
          err: error.message,
        }
        if (error instanceof MailUnreadableError) {
          // Not an outage: this process's KEY_ENCRYPTION_KEY is not the one that sealed the
          // mail, or the row was altered. It is retried like any failure (a replica with the
          // right key can still send it) until the retention sweep gives up on it.
          this.options.log.error(context, 'mail cannot be opened; not sent')
        } else {
          this.options.log.warn(context, 'mail not sent; will retry')
        }
        this.options.onFailed?.(mail, error)
      }
    }
    return sent
  }
}
