/**
 * Tokens at rest (issue 22): what the email_outbox table holds. A reset link read from the table
 * must not reset a password, so the bodies are sealed until sent and dropped once sent. Mail
 * goes through a real SMTP server; the table is read with plain SQL, not through the
 * repositories.
 */
import { Writable } from 'node:stream'
import { newId } from '@authpair/db'
import { readRawRows } from '@authpair/db/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './helper.js'
import { type SmtpSink, startSmtpSink, tokenFrom } from './support/smtp-sink.js'

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

/** An app whose log lines the test can read; the outbox worker runs only when told. */
async function app(env: Record<string, string> = {}) {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk))
      done()
    },
  })
  const t = await buildTestApp(
    {
      SMTP_URL: smtp.url,
      APP_URL: 'https://app.example.com',
      PRODUCT_NAME: 'Acme',
      OUTBOX_WORKER_ENABLED: 'false',
      ...env,
    },
    { logger: { level: 'info', stream } },
  )
  apps.push(t)
  const logs = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>)
  return { t, logs }
}

let n = 0
const address = (label: string) => `${label}${++n}.${Date.now()}@example.com`

const outboxRows = (t: TestApp) => readRawRows(t.database.target, 'email_outbox')

/** Waits for work that runs after a response (password/forgot queues its mail then). */
async function untilPending(t: TestApp, count: number) {
  for (let i = 0; i < 500 && (await t.app.db.emailOutbox.pendingCount()) < count; i++) {
    await new Promise((r) => setTimeout(r, 10))
  }
  expect(await t.app.db.emailOutbox.pendingCount()).toBe(count)
}

async function registerAndForget(t: TestApp, email: string) {
  const post = (url: string, payload: object) => t.app.inject({ method: 'POST', url, payload })
  expect((await post('/auth/register', { email, password: PASSWORD })).statusCode).toBe(201)
  expect((await post('/auth/password/forgot', { email })).statusCode).toBe(202)
}

describe('the mail outbox at rest', () => {
  it('holds no reset token in any column, yet the delivered mail carries a working link, and keeps no body once sent', async () => {
    const { t } = await app()
    const email = address('reader')
    await registerAndForget(t, email)
    await untilPending(t, 2) // the verification mail and the reset mail

    const queued = await outboxRows(t)
    expect(await t.app.outbox.tick()).toBe(2)
    const delivered = await smtp.waitFor(2, email)
    const verify = delivered.find((m) => m.subject.startsWith('Confirm'))
    const reset = delivered.find((m) => m.subject.startsWith('Reset'))
    if (!verify || !reset) throw new Error('mail missing')
    const { token } = tokenFrom(reset)
    const verifyToken = tokenFrom(verify).token

    // while queued: no column of any row shows either token, nor the HTML link
    expect(queued).toHaveLength(2)
    for (const row of queued) {
      for (const [column, value] of Object.entries(row)) {
        expect(String(value), column).not.toContain(token)
        expect(String(value), column).not.toContain(verifyToken)
      }
      expect(String(row.text_body)).toMatch(/^sealed-mail\.v1\./)
      expect(String(row.html_body)).toMatch(/^sealed-mail\.v1\./)
    }

    // once sent: no body at all; what operations need stays
    const sent = await outboxRows(t)
    expect(sent.find((r) => r.kind === 'password_reset')).toMatchObject({
      to_address: email,
      subject: 'Reset your Acme password',
      text_body: null,
      html_body: null,
    })
    for (const row of sent) {
      expect(row.sent_at).not.toBeNull()
      expect(row.text_body).toBeNull()
      expect(row.html_body).toBeNull()
    }

    // the delivered mail opened intact: both bodies carry the link, and it works
    expect(reset.html).toContain(`href="https://app.example.com/reset-password?token=${token}"`)
    const res = await t.app.inject({
      method: 'POST',
      url: '/auth/password/reset',
      payload: { token, password: 'a-whole-new-secret-22' },
    })
    expect(res.statusCode).toBe(204)
  })

  it('still delivers a row written in plain text before bodies were sealed', async () => {
    const { t } = await app()
    const to = address('legacy')
    const now = new Date()
    await t.app.db.emailOutbox.enqueue({
      id: newId(),
      kind: 'password_changed',
      toAddress: to,
      subject: 'Your Acme password was changed',
      textBody: 'Written before sealing: plain text.',
      htmlBody: '<p>Written before sealing: plain HTML.</p>',
      createdAt: now,
      nextAttemptAt: now,
    })
    expect(await t.app.outbox.tick()).toBe(1)
    const [mail] = await smtp.waitFor(1, to)
    expect(mail?.text.trim()).toBe('Written before sealing: plain text.')
    expect(mail?.html).toContain('<p>Written before sealing: plain HTML.</p>')
    expect((await outboxRows(t)).find((r) => r.to_address === to)).toMatchObject({
      text_body: null,
      html_body: null,
    })
  })

  it('does not send a sealed body moved into another row, and the worker carries on with the rest', async () => {
    const { t, logs } = await app()
    // the victim asks for a reset; the sealed mail waits in the outbox
    const victim = address('victim')
    await registerAndForget(t, victim)
    await untilPending(t, 2)
    const victimReset = (await outboxRows(t)).find(
      (r) => r.to_address === victim && r.kind === 'password_reset',
    )
    if (!victimReset) throw new Error('no reset row')

    // someone with write access copies its sealed bodies into a row addressed to themselves
    const attacker = address('mallory')
    const stolenId = newId()
    const now = new Date(Date.now() - 1000) // due first
    await t.app.db.emailOutbox.enqueue({
      id: stolenId,
      kind: 'password_reset',
      toAddress: attacker,
      subject: 'Reset your Acme password',
      textBody: String(victimReset.text_body),
      htmlBody: String(victimReset.html_body),
      createdAt: now,
      nextAttemptAt: now,
    })

    t.app.outbox.start() // the real polling loop, as the service runs it
    // everything else goes out: the victim's two mails, and mail queued afterwards
    await smtp.waitFor(2, victim)
    const bystander = address('bystander')
    await registerAndForget(t, bystander)
    await smtp.waitFor(2, bystander)

    expect(smtp.received.filter((m) => m.to === attacker)).toHaveLength(0)
    const stolen = (await outboxRows(t)).find((r) => r.id === stolenId)
    expect(stolen).toMatchObject({ sent_at: null })
    expect(Number(stolen?.attempts)).toBeGreaterThanOrEqual(1)
    expect(String(stolen?.last_error)).toContain('does not open')
    const refused = logs().find((l) => l.mailId === stolenId)
    expect(refused).toMatchObject({ level: 50, msg: 'mail cannot be opened; not sent' })
  })
})
