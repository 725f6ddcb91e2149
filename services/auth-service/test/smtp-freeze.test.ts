/**
 * An SMTP server that accepts the connection and never greets (hung, or a silent partition):
 * the mailer's greeting timeout (10 s, set in src/mail/mailer.ts; nodemailer's own default is
 * 30 s) must end the attempt, the outbox must keep the mail and retry it, and once the server
 * answers again the mail must arrive, once.
 *
 * The real SMTP sink sits behind a TCP proxy that can be frozen (it then accepts connections but
 * forwards nothing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './helper.js'
import { type FreezableProxy, startFreezableProxy } from './support/freezable-proxy.js'
import { type SmtpSink, startSmtpSink } from './support/smtp-sink.js'

/** Failure must come from our greeting timeout (10 s), well before nodemailer's default (30 s). */
const FAILED_WITHIN_MS = 15_000

let smtp: SmtpSink
let proxy: FreezableProxy
let t: TestApp
beforeAll(async () => {
  smtp = await startSmtpSink()
  proxy = await startFreezableProxy({ host: '127.0.0.1', port: smtp.port })
  t = await buildTestApp({
    SMTP_URL: `smtp://127.0.0.1:${proxy.port}`,
    OUTBOX_RETRY_BASE_MS: '50',
    OUTBOX_RETRY_MAX_MS: '400',
  })
})
afterAll(async () => {
  await t?.close()
  await proxy?.close()
  await smtp?.stop()
})

const metric = async (name: string) => {
  const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'gm'))].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  )
}

describe('an SMTP server that accepts connections and never greets', () => {
  it('fails the send at the greeting timeout, keeps the mail, and delivers it once when the server answers', async () => {
    const email = `silent-smtp.${Date.now()}@example.com`
    proxy.freeze()
    const queuedAt = performance.now()
    const registered = await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email, password: 'tidal-amber-forest-4' },
    })
    expect(registered.statusCode).toBe(201)

    // The worker is stuck in the SMTP exchange until the greeting timeout ends it.
    let failedAfter: number | undefined
    while (performance.now() - queuedAt < FAILED_WITHIN_MS) {
      if ((await metric('auth_mail_failures_total')) > 0) {
        failedAfter = Math.round(performance.now() - queuedAt)
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(failedAfter, `no failed attempt within ${FAILED_WITHIN_MS} ms`).toBeDefined()
    expect(await metric('auth_mail_outbox_pending')).toBe(1)
    expect(smtp.received).toHaveLength(0)

    proxy.unfreeze()
    const unfrozenAt = performance.now()
    const [mail] = await smtp.waitFor(1, email, 10_000)
    const deliveredAfter = Math.round(performance.now() - unfrozenAt)
    await new Promise((resolve) => setTimeout(resolve, 500)) // time for a duplicate to show up
    console.log(
      `silent SMTP server: first attempt failed ${failedAfter} ms after the mail was queued ` +
        `(greeting timeout 10 s); delivered ${deliveredAfter} ms after the server answered again, ` +
        `${await metric('auth_mail_failures_total')} failed attempt(s) in all`,
    )
    expect(mail?.subject).toMatch(/^Confirm your email/)
    expect(smtp.received.filter((m) => m.to === email)).toHaveLength(1)
    expect(await metric('auth_mail_outbox_pending')).toBe(0)
  })
})
