/**
 * Outbox retention (issue 22): rows are deleted OUTBOX_RETENTION_DAYS after they were sent, and
 * mail that could not be sent for that long is abandoned (deleted, logged at error level,
 * counted). Time moves on the injected clock; nothing sleeps through a retention period.
 */
import { Writable } from 'node:stream'
import { type Database, type EmailOutboxRepository, newId } from '@authpair/db'
import { readRawRows } from '@authpair/db/testing'
import { ConfigError } from '@authpair/service-kit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadAuthConfig } from '../src/config.js'
import { OutboxWorker } from '../src/mail/outbox-worker.js'
import { buildTestApp, manualClock, type TestApp } from './helper.js'
import { type SmtpSink, startSmtpSink } from './support/smtp-sink.js'

const DAY_S = 86_400
const PASSWORD = 'velvet-orchid-canyon-8'
let smtp: SmtpSink
const apps: TestApp[] = []
beforeAll(async () => {
  smtp = await startSmtpSink()
})
afterAll(async () => {
  await Promise.all(apps.map((t) => t.close()))
  await smtp?.stop()
})

async function app(now: () => Date, env: Record<string, string> = {}) {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk))
      done()
    },
  })
  const t = await buildTestApp(
    { SMTP_URL: smtp.url, OUTBOX_WORKER_ENABLED: 'false', ...env },
    { now, logger: { level: 'info', stream } },
  )
  apps.push(t)
  return { t, lines }
}

let n = 0
const address = (label: string) => `${label}${++n}.${Date.now()}@example.com`
const ids = async (t: TestApp) =>
  (await readRawRows(t.database.target, 'email_outbox')).map((r) => String(r.id)).sort()

/** A mail that keeps failing: queued at `at`, next attempt far beyond the test. */
async function undeliverable(t: TestApp, at: Date) {
  const mail = t.app.mailSeal.seal({
    id: newId(),
    kind: 'email_verify',
    toAddress: address('bounce'),
    subject: 'Confirm your email',
    textBody: 'a link',
    htmlBody: null,
    createdAt: at,
    // Never due: a worker polling meanwhile must not lease it between these two writes (a
    // leased row is, rightly, not deleted by the sweep).
    nextAttemptAt: new Date(at.getTime() + 365 * DAY_S * 1000),
  })
  await t.app.db.emailOutbox.enqueue(mail)
  await t.app.db.emailOutbox.markFailed(
    mail.id,
    'connect ECONNREFUSED',
    new Date(at.getTime() + 365 * DAY_S * 1000),
  )
  return mail
}

/** Registers someone (a verification mail) and sends what is due: one sent row, sent now. */
async function sentMail(t: TestApp) {
  const email = address('sent')
  const res = await t.app.inject({
    method: 'POST',
    url: '/auth/register',
    payload: { email, password: PASSWORD },
  })
  expect(res.statusCode).toBe(201)
  expect(await t.app.outbox.tick()).toBe(1)
  await smtp.waitFor(1, email)
  const row = (await readRawRows(t.database.target, 'email_outbox')).find(
    (r) => r.to_address === email,
  )
  if (!row) throw new Error('no row')
  return String(row.id)
}

describe('OUTBOX_RETENTION_DAYS', () => {
  it('defaults to 7 days and refuses anything but a whole number of days from 1', () => {
    expect(loadAuthConfig({}).OUTBOX_RETENTION_DAYS).toBe(7)
    expect(loadAuthConfig({ OUTBOX_RETENTION_DAYS: '30' }).OUTBOX_RETENTION_DAYS).toBe(30)
    for (const bad of ['0', '-1', '1.5', 'week']) {
      expect(() => loadAuthConfig({ OUTBOX_RETENTION_DAYS: bad }), bad).toThrow(ConfigError)
    }
  })

  it('deletes sent rows by sent_at and unsent rows by created_at once past retention, and keeps younger ones', async () => {
    const clock = manualClock(new Date('2026-03-01T12:00:00.000Z'))
    const { t, lines } = await app(clock.now, { OUTBOX_RETENTION_DAYS: '7' })

    const sentOld = await sentMail(t)
    const unsentOld = await undeliverable(t, clock.now())
    clock.advance(3 * DAY_S)
    const sentYoung = await sentMail(t)
    const unsentYoung = await undeliverable(t, clock.now())

    // day 7 less a second: nothing is old enough yet
    clock.advance(4 * DAY_S - 1)
    expect(await t.app.outbox.sweep()).toEqual({ sent: 0, abandoned: 0 })
    expect(await ids(t)).toHaveLength(4)

    // day 7 and a second: the first two go, the younger two stay
    clock.advance(2)
    expect(await t.app.outbox.sweep()).toEqual({ sent: 1, abandoned: 1 })
    expect(await ids(t)).toEqual([sentYoung, unsentYoung.id].sort())
    expect(await ids(t)).not.toContain(sentOld)

    // the abandoned mail was logged at error level (without its address) and counted
    const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.mailId === unsentOld.id)
    expect(logged).toEqual([
      expect.objectContaining({
        level: 50,
        kind: 'email_verify',
        attempts: 1,
        lastError: 'connect ECONNREFUSED',
        msg: 'mail abandoned: not sent within OUTBOX_RETENTION_DAYS; deleted',
      }),
    ])
    expect(JSON.stringify(logged)).not.toContain(unsentOld.toAddress)
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
    expect(metrics).toMatch(/^auth_mail_abandoned_total\{kind="email_verify"\} 1$/m)
    expect(metrics).toMatch(
      /^auth_mail_deliveries_total\{outcome="abandoned",kind="email_verify"\} 1$/m,
    )

    // three days later the younger two have aged out as well
    clock.advance(3 * DAY_S)
    expect(await t.app.outbox.sweep()).toEqual({ sent: 1, abandoned: 1 })
    expect(await ids(t)).toEqual([])
  })

  it('works a backlog off in bounded batches, a bounded number per sweep', async () => {
    const clock = manualClock(new Date('2026-03-01T12:00:00.000Z'))
    const { t } = await app(clock.now)
    for (let i = 0; i < 5; i++) await undeliverable(t, clock.now())
    clock.advance(8 * DAY_S)
    const worker = new OutboxWorker(t.app.db, t.app.mailer, {
      ...workerOptions(t, clock.now),
      sweepBatchSize: 2,
      sweepMaxBatches: 2,
    })
    expect(await worker.sweep()).toEqual({ sent: 0, abandoned: 4 })
    expect(await ids(t)).toHaveLength(1)
    expect(await worker.sweep()).toEqual({ sent: 0, abandoned: 1 })
    expect(await ids(t)).toEqual([])
  })

  it('runs from the polling loop at start and then on its slow interval, not on every poll', async () => {
    const clock = manualClock(new Date('2026-03-01T12:00:00.000Z'))
    const { t } = await app(clock.now)
    const calls = { claimDue: 0, deleteSent: 0 }
    const db: Database = { ...t.app.db, emailOutbox: counting(t.app.db.emailOutbox, calls) }
    const worker = new OutboxWorker(db, t.app.mailer, {
      ...workerOptions(t, clock.now),
      pollIntervalMs: 5,
      sweepIntervalMs: 600_000,
    })
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 1000 && !done(); i++) await new Promise((r) => setTimeout(r, 5))
      expect(done()).toBe(true)
    }
    worker.start()
    try {
      await until(() => calls.claimDue >= 10)
      expect(calls.deleteSent).toBe(1) // the sweep at start, and none on the polls since
      const old = await undeliverable(t, clock.now())
      clock.advance(8 * DAY_S) // past retention, and past the sweep interval
      await until(() => calls.deleteSent === 2)
      await worker.stop()
      expect(await ids(t)).not.toContain(old.id)
    } finally {
      await worker.stop()
    }
  })
})

function workerOptions(t: TestApp, now: () => Date) {
  return {
    from: 'test <no-reply@example.com>',
    pollIntervalMs: 1000,
    retryBaseMs: 1000,
    retryMaxMs: 60_000,
    batchSize: 20,
    mailSeal: t.app.mailSeal,
    retentionMs: 7 * DAY_S * 1000,
    sweepIntervalMs: 600_000,
    now,
    log: t.app.log,
  } satisfies ConstructorParameters<typeof OutboxWorker>[2]
}

/** The repository, counting calls of the named methods. */
function counting(
  outbox: EmailOutboxRepository,
  calls: Record<string, number>,
): EmailOutboxRepository {
  return new Proxy(outbox, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (typeof property === 'string' && property in calls && typeof value === 'function') {
        return (...args: unknown[]) => {
          calls[property] = (calls[property] ?? 0) + 1
          return value.apply(target, args)
        }
      }
      return value
    },
  })
}
