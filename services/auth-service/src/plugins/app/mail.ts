import fp from 'fastify-plugin'
import { Counter, Gauge } from 'prom-client'
import type { AuthConfig } from '../../config.js'
import { logMailer, type Mailer, smtpMailer } from '../../mail/mailer.js'
import { OutboxWorker } from '../../mail/outbox-worker.js'

/**
 * How often each replica runs the outbox retention sweep, ms. Retention is counted in days, so
 * ten minutes late is nothing, and an idle sweep is two indexed deletes that find no rows.
 */
const OUTBOX_SWEEP_INTERVAL_MS = 10 * 60_000

declare module 'fastify' {
  interface FastifyInstance {
    mailer: Mailer
    outbox: OutboxWorker
  }
}

/**
 * Outgoing mail: an outbox table written in the same transaction as the token a mail carries,
 * and a worker that sends it with retries and deletes rows past OUTBOX_RETENTION_DAYS. Outbox
 * depth, failures and abandoned mail are in /metrics.
 */
export default fp<{ config: AuthConfig; now: () => Date }>(
  async (fastify, { config, now }) => {
    const mailer = config.SMTP_URL ? smtpMailer(config.SMTP_URL) : logMailer(fastify.log)
    if (mailer.kind === 'log') {
      fastify.log.warn('SMTP_URL is unset: outgoing mail is written to the log (development only)')
    }
    // Every delivery attempt's outcome in one counter (the dashboard's success ratio):
    // sent, failed (retried later), abandoned (deleted unsent after OUTBOX_RETENTION_DAYS).
    // The per-outcome counters below predate it and stay for existing alerts.
    const deliveries = new Counter({
      name: 'auth_mail_deliveries_total',
      help: 'Mail delivery attempts by outcome (sent, failed, abandoned) and kind',
      labelNames: ['outcome', 'kind'] as const,
      registers: [fastify.metrics],
    })
    const sent = new Counter({
      name: 'auth_mail_sent_total',
      help: 'Mails sent, by kind',
      labelNames: ['kind'] as const,
      registers: [fastify.metrics],
    })
    const failed = new Counter({
      name: 'auth_mail_failures_total',
      help: 'Failed mail send attempts (each is retried), by kind',
      labelNames: ['kind'] as const,
      registers: [fastify.metrics],
    })
    const abandoned = new Counter({
      name: 'auth_mail_abandoned_total',
      help: 'Mails deleted unsent after OUTBOX_RETENTION_DAYS, by kind',
      labelNames: ['kind'] as const,
      registers: [fastify.metrics],
    })
    new Gauge({
      name: 'auth_mail_outbox_pending',
      help: 'Mails in the outbox not yet sent',
      registers: [fastify.metrics],
      async collect() {
        this.set(await fastify.db.emailOutbox.pendingCount())
      },
    })
    const worker = new OutboxWorker(fastify.db, mailer, {
      from: config.MAIL_FROM,
      pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
      retryBaseMs: config.OUTBOX_RETRY_BASE_MS,
      retryMaxMs: config.OUTBOX_RETRY_MAX_MS,
      batchSize: 20,
      mailSeal: fastify.mailSeal,
      retentionMs: config.OUTBOX_RETENTION_DAYS * 86_400_000,
      sweepIntervalMs: OUTBOX_SWEEP_INTERVAL_MS,
      now,
      log: fastify.log,
      onSent: (mail) => {
        sent.inc({ kind: mail.kind })
        deliveries.inc({ outcome: 'sent', kind: mail.kind })
      },
      onFailed: (mail) => {
        failed.inc({ kind: mail.kind })
        deliveries.inc({ outcome: 'failed', kind: mail.kind })
      },
      onAbandoned: (mail) => {
        abandoned.inc({ kind: mail.kind })
        deliveries.inc({ outcome: 'abandoned', kind: mail.kind })
      },
    })
    fastify.decorate('mailer', mailer)
    fastify.decorate('outbox', worker)
    if (config.OUTBOX_WORKER_ENABLED) {
      fastify.addHook('onReady', async () => worker.start())
    }
    fastify.addHook('onClose', async () => {
      await worker.stop()
      mailer.close()
    })
  },
  { name: 'mail', dependencies: ['database', 'metrics', 'signing-keys'], fastify: '5.x' },
)
