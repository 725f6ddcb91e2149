import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, manualClock, type TestApp } from './helper.js'
import { type SmtpSink, startSmtpSink, tokenFrom } from './support/smtp-sink.js'

let smtp: SmtpSink
let t: TestApp
const logLines: string[] = []

beforeAll(async () => {
  smtp = await startSmtpSink()
  const stream = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk))
      done()
    },
  })
  t = await buildTestApp(
    { SMTP_URL: smtp.url, APP_URL: 'https://app.example.com', PRODUCT_NAME: 'Acme' },
    { logger: { level: 'debug', stream } },
  )
})
afterAll(async () => {
  await t?.close()
  await smtp?.stop()
})

let n = 0
const email = () => `mail${++n}.${Date.now()}@example.com`
const PASSWORD = 'velvet-orchid-canyon-8'
const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, payload: payload as object, headers })

async function account() {
  const address = email()
  expect((await post('/auth/register', { email: address, password: PASSWORD })).statusCode).toBe(
    201,
  )
  const pair = (await post('/auth/login', { email: address, password: PASSWORD })).json()
  return { address, pair }
}

describe('password reset by email', () => {
  it('works end to end, through a real SMTP server', async () => {
    const { address, pair } = await account()
    const res = await post(
      '/auth/password/forgot',
      { email: address },
      {
        host: 'evil.example',
        'x-forwarded-host': 'evil.example',
      },
    )
    expect(res.statusCode).toBe(202)
    expect(res.json()).toEqual({ status: 'accepted' })

    const [mail] = (await smtp.waitFor(2, address)).filter((m) => m.subject.includes('Reset'))
    if (!mail) throw new Error('no reset mail')
    expect(mail.subject).toBe('Reset your Acme password')
    const { token, link } = tokenFrom(mail)
    // the link's origin comes from APP_URL, never from the request's Host
    expect(link.origin).toBe('https://app.example.com')
    expect(link.pathname).toBe('/reset-password')
    expect(token).toMatch(/^[\w-]{43}$/)
    expect(mail.html).toContain(`href="https://app.example.com/reset-password?token=${token}"`)

    expect(
      (await post('/auth/password/reset', { token, password: 'a-whole-new-secret-22' })).statusCode,
    ).toBe(204)
    expect((await post('/auth/login', { email: address, password: PASSWORD })).statusCode).toBe(401)
    expect(
      (await post('/auth/login', { email: address, password: 'a-whole-new-secret-22' })).statusCode,
    ).toBe(200)
    // sessions from before the reset are gone
    expect(
      (await post('/auth/token/refresh', { refresh_token: pair.refresh_token })).statusCode,
    ).toBe(401)
    // and the owner is told
    const notices = await smtp.waitFor(3, address)
    expect(notices.some((m) => m.subject === 'Your Acme password was changed')).toBe(true)

    // the same link a second time
    const reused = await post('/auth/password/reset', { token, password: 'yet-another-secret-33' })
    expect(reused.statusCode).toBe(400)
    expect(reused.json().code).toBe('invalid_token')

    // the token never reached a log line
    expect(logLines.length).toBeGreaterThan(0)
    expect(logLines.some((line) => line.includes(token))).toBe(false)
  })

  it('answers the same for an unknown address, and sends nothing', async () => {
    const before = smtp.received.length
    const known = await account()
    await smtp.waitFor(1, known.address) // its verification mail
    const a = await post('/auth/password/forgot', { email: known.address })
    const b = await post('/auth/password/forgot', { email: 'nobody-at-all@example.com' })
    expect(a.statusCode).toBe(b.statusCode)
    expect(a.body).toBe(b.body)
    await smtp.waitFor(2, known.address)
    await new Promise((r) => setTimeout(r, 300))
    expect(smtp.received.filter((m) => m.to === 'nobody-at-all@example.com')).toHaveLength(0)
    expect(smtp.received.length).toBe(before + 2)
  })

  it('keeps the link when the new password is refused, and voids it when a newer one is sent', async () => {
    const { address } = await account()
    await post('/auth/password/forgot', { email: address })
    const first = tokenFrom(
      (await smtp.waitFor(2, address)).find((m) => m.subject.includes('Reset')) as never,
    )
    const weak = await post('/auth/password/reset', { token: first.token, password: 'password1' })
    expect(weak.statusCode).toBe(400)
    expect(weak.json().code).toBe('password_rejected')

    await post('/auth/password/forgot', { email: address })
    const resets = (await smtp.waitFor(3, address)).filter((m) => m.subject.includes('Reset'))
    const second = tokenFrom(resets[1] as never)
    const superseded = await post('/auth/password/reset', {
      token: first.token,
      password: 'fresh-juniper-lake-7',
    })
    expect(superseded.statusCode).toBe(400)
    expect(superseded.json().code).toBe('invalid_token')
    expect(
      (
        await post('/auth/password/reset', {
          token: second.token,
          password: 'fresh-juniper-lake-7',
        })
      ).statusCode,
    ).toBe(204)
  })

  it('voids a reset link mailed before a password change', async () => {
    const { address, pair } = await account()
    await post('/auth/password/forgot', { email: address })
    const reset = (await smtp.waitFor(2, address)).find((m) => m.subject.includes('Reset'))
    const changed = await post(
      '/auth/password/change',
      { current_password: PASSWORD, new_password: 'changed-by-the-owner-4' },
      { authorization: `Bearer ${pair.access_token}` },
    )
    expect(changed.statusCode).toBe(204)
    // Whoever reads the older link (a mailbox compromised before the change) cannot undo it.
    const late = await post('/auth/password/reset', {
      token: tokenFrom(reset as never).token,
      password: 'the-intruders-choice-5',
    })
    expect(late.statusCode).toBe(400)
    expect(late.json().code).toBe('invalid_token')
    expect(
      (await post('/auth/login', { email: address, password: 'changed-by-the-owner-4' }))
        .statusCode,
    ).toBe(200)
  })

  it('mails a notice for a change through the API too, in the reader’s language', async () => {
    const { address, pair } = await account()
    const changed = await post(
      '/auth/password/change',
      { current_password: PASSWORD, new_password: 'changed-by-the-owner-6' },
      { authorization: `Bearer ${pair.access_token}`, 'accept-language': 'ru' },
    )
    expect(changed.statusCode).toBe(204)
    const mails = await smtp.waitFor(2, address)
    expect(mails.map((m) => m.subject)).toContain('Пароль Acme изменён')
  })

  it('writes the reset notice in the reader’s language when the account has none', async () => {
    const { address } = await account()
    await post('/auth/password/forgot', { email: address })
    const reset = (await smtp.waitFor(2, address)).find((m) => m.subject.includes('Reset'))
    const res = await post(
      '/auth/password/reset',
      { token: tokenFrom(reset as never).token, password: 'a-russian-readers-pw-8' },
      { 'accept-language': 'ru-RU,ru;q=0.9' },
    )
    expect(res.statusCode).toBe(204)
    const mails = await smtp.waitFor(3, address)
    expect(mails.map((m) => m.subject)).toContain('Пароль Acme изменён')
  })

  it('writes the mail in the reader’s language (Accept-Language)', async () => {
    const address = email()
    await post(
      '/auth/register',
      { email: address, password: PASSWORD },
      { 'accept-language': 'ru-RU,ru;q=0.9,en;q=0.5' },
    )
    const [verify] = await smtp.waitFor(1, address)
    expect(verify?.subject).toBe('Подтвердите адрес для Acme')
  })
})

describe('email verification', () => {
  it('verifies the address with the mailed link, once', async () => {
    const address = email()
    await post('/auth/register', { email: address, password: PASSWORD })
    const [mail] = await smtp.waitFor(1, address)
    const { token, link } = tokenFrom(mail as never)
    expect(link.pathname).toBe('/verify-email')
    expect((await post('/auth/email/verify', { token })).statusCode).toBe(204)
    expect((await t.app.db.users.findByEmail(address))?.emailVerified).toBe(true)
    const again = await post('/auth/email/verify', { token })
    expect(again.statusCode).toBe(400)
    expect(again.json().code).toBe('invalid_token')
  })

  it('resends a link on request (voiding the old one)', async () => {
    const { address, pair } = await account()
    const [first] = await smtp.waitFor(1, address)
    const res = await post('/auth/email/verify/resend', undefined, {
      authorization: `Bearer ${pair.access_token}`,
    })
    expect(res.statusCode).toBe(202)
    const mails = await smtp.waitFor(2, address)
    expect(
      (await post('/auth/email/verify', { token: tokenFrom(first as never).token })).statusCode,
    ).toBe(400)
    expect(
      (await post('/auth/email/verify', { token: tokenFrom(mails[1] as never).token })).statusCode,
    ).toBe(204)
  })
})

describe('REQUIRE_EMAIL_VERIFICATION', () => {
  it('refuses login before verification with 403 email_not_verified, and allows it after', async () => {
    const strict = await buildTestApp({ SMTP_URL: smtp.url, REQUIRE_EMAIL_VERIFICATION: 'true' })
    try {
      const address = email()
      await strict.app.inject({
        method: 'POST',
        url: '/auth/register',
        payload: { email: address, password: PASSWORD },
      })
      const login = () =>
        strict.app.inject({
          method: 'POST',
          url: '/auth/login',
          payload: { email: address, password: PASSWORD },
        })
      const refused = await login()
      expect(refused.statusCode).toBe(403)
      expect(refused.json().code).toBe('email_not_verified')
      const [mail] = await smtp.waitFor(1, address)
      await strict.app.inject({
        method: 'POST',
        url: '/auth/email/verify',
        payload: { token: tokenFrom(mail as never).token },
      })
      expect((await login()).statusCode).toBe(200)
    } finally {
      await strict.close()
    }
  })
})

describe('expiry', () => {
  it('refuses a reset link after 15 minutes', async () => {
    const clock = manualClock(new Date())
    const timed = await buildTestApp({ SMTP_URL: smtp.url }, { now: clock.now })
    try {
      const address = email()
      await timed.app.inject({
        method: 'POST',
        url: '/auth/register',
        payload: { email: address, password: PASSWORD },
      })
      await timed.app.inject({
        method: 'POST',
        url: '/auth/password/forgot',
        payload: { email: address },
      })
      const reset = (await smtp.waitFor(2, address)).find((m) => m.subject.includes('Reset'))
      clock.advance(15 * 60 + 1)
      const res = await timed.app.inject({
        method: 'POST',
        url: '/auth/password/reset',
        payload: { token: tokenFrom(reset as never).token, password: 'late-but-strong-pass-1' },
      })
      expect(res.statusCode).toBe(400)
      expect(res.json().code).toBe('invalid_token')
    } finally {
      await timed.close()
    }
  })
})
