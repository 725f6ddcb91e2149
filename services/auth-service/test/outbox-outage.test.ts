/**
 * An SMTP outage delays mail but loses none and sends none twice: the real SMTP server is
 * stopped, ten resets are requested, the server comes back, and every mail arrives once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './helper.js'
import { type SmtpSink, startSmtpSink } from './support/smtp-sink.js'

let smtp: SmtpSink
let t: TestApp
beforeAll(async () => {
  smtp = await startSmtpSink()
  t = await buildTestApp({
    SMTP_URL: smtp.url,
    OUTBOX_RETRY_BASE_MS: '50',
    OUTBOX_RETRY_MAX_MS: '400',
  })
})
afterAll(async () => {
  await t?.close()
  await smtp?.stop()
})

const metric = async (name: string) => {
  const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'gm'))].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  )
}

describe('SMTP outage', () => {
  it('delivers all ten reset mails, each exactly once, after the server comes back', {
    timeout: 60_000,
  }, async () => {
    const addresses = Array.from({ length: 10 }, (_, i) => `outage${i}.${Date.now()}@example.com`)
    for (const email of addresses) {
      await t.app.inject({
        method: 'POST',
        url: '/auth/register',
        payload: { email, password: 'tidal-amber-forest-4' },
      })
    }
    await smtp.waitFor(10) // registration's ten verification mails, delivered before the outage
    smtp.received.length = 0

    await smtp.stop()
    console.log('injected: SMTP server stopped')
    for (const email of addresses) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/auth/password/forgot',
        payload: { email },
      })
      expect(res.statusCode).toBe(202)
    }
    // the worker keeps failing meanwhile: counted, nothing lost
    for (let i = 0; i < 200 && (await metric('auth_mail_failures_total')) < 10; i++) {
      await new Promise((r) => setTimeout(r, 25))
    }
    const failures = await metric('auth_mail_failures_total')
    expect(failures).toBeGreaterThanOrEqual(10)
    expect(await metric('auth_mail_outbox_pending')).toBe(10)
    expect(smtp.received).toHaveLength(0)

    await smtp.start()
    console.log('injected: SMTP server started again')
    await smtp.waitFor(10)
    await new Promise((r) => setTimeout(r, 1000)) // time for any duplicate to show up
    const resets = smtp.received.filter((m) => m.subject.includes('Reset'))
    expect(resets).toHaveLength(10)
    expect(new Set(resets.map((m) => m.to))).toEqual(new Set(addresses))
    expect(new Set(resets.map((m) => m.messageId)).size).toBe(10)
    expect(await metric('auth_mail_outbox_pending')).toBe(0)
    console.log(
      `outage: 10 resets requested while down, ${failures} failed attempts, 10 delivered once each`,
    )
  })
})
