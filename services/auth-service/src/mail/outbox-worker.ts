import type { Database, EmailOutboxRecord } from '@authpair/db'
import type { FastifyBaseLogger } from 'fastify'
import { type MailSeal, MailUnreadableError } from './mail-seal.js'
import type { Mailer } from './mailer.js'

export interface OutboxWorkerOptions {
  from: string
  /** Poll interval, ms. */
  pollIntervalMs: number
  /** First retry after this many ms; doubles per attempt. */
  retryBaseMs: number
  /** Retries are never further apart than this, ms (mail is retried until it goes). */
  retryMaxMs: number
  /** Mails leased per poll. */
  batchSize: number
  /** Opens the sealed bodies just before a mail is sent. */
  mailSeal: Pick<MailSeal, 'open'>
  now: () => Date
  log: FastifyBaseLogger
  onSent?: (mail: EmailOutboxRecord) => void
  onFailed?: (mail: EmailOutboxRecord, error: Error) => void
}

/**
 * Sends the outbox. Each poll leases due mail (so replicas never send the same row), sends it,
 * and marks it sent; a failure is recorded with an exponentially later next attempt. An SMTP
 * outage therefore delays mail but loses none; a mail is sent twice only if the process dies
 * between the SMTP server's acceptance and the mark (the lease then expires and it is resent,
 * with the same Message-ID so receivers can drop the copy).
 */
export class OutboxWorker {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<number> | undefined
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
      if (!this.stopped) this.timer = setTimeout(loop, this.options.pollIntervalMs)
    }
    this.timer = setTimeout(loop, 0)
  }

  /** Stops polling and waits for a send in progress. */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.running?.catch(() => 0)
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
