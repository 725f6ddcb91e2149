import { randomBytes } from 'node:crypto'
import { type NewEmailOutbox, newId } from '@authpair/db'
import { describe, expect, it } from 'vitest'
import { MailSeal, MailUnreadableError } from '../src/mail/mail-seal.js'

const LINK =
  'https://app.example.com/reset-password?token=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5'

function row(overrides: Partial<NewEmailOutbox> = {}) {
  const now = new Date('2026-03-01T12:00:00.000Z')
  return {
    id: newId(),
    kind: 'password_reset',
    toAddress: 'ada@example.com',
    subject: 'Reset your Acme password',
    textBody: `Choose a new password: ${LINK}`,
    htmlBody: `<p><a href="${LINK}">Choose a new password</a></p>`,
    createdAt: now,
    nextAttemptAt: now,
    ...overrides,
  }
}

/** What claimDue hands the worker: the stored strings, nulls for absent bodies. */
const stored = (mail: NewEmailOutbox) => ({
  id: mail.id,
  toAddress: mail.toAddress,
  textBody: mail.textBody ?? null,
  htmlBody: mail.htmlBody ?? null,
})

const seal = new MailSeal(randomBytes(32))

describe('mail seal', () => {
  it('seals both bodies so the link cannot be read, and opens them for sending', () => {
    const plain = row()
    const sealed = seal.seal(plain)
    expect(sealed.textBody).toMatch(/^sealed-mail\.v1\./)
    expect(sealed.htmlBody).toMatch(/^sealed-mail\.v1\./)
    expect(JSON.stringify(sealed)).not.toContain('token=')
    expect(JSON.stringify(sealed)).not.toContain('Zm9vYmFy')
    // everything else is stored as given (the worker and operations need it)
    expect({ ...sealed, textBody: undefined, htmlBody: undefined }).toEqual({
      ...plain,
      textBody: undefined,
      htmlBody: undefined,
    })
    expect(seal.open(stored(sealed))).toEqual({ text: plain.textBody, html: plain.htmlBody })
  })

  it('seals the same body differently each time (random IV)', () => {
    const plain = row()
    expect(seal.seal(plain).textBody).not.toBe(seal.seal(plain).textBody)
  })

  it('keeps a mail without an HTML body without one', () => {
    const sealed = seal.seal(row({ htmlBody: null }))
    expect(sealed.htmlBody).toBeNull()
    expect(seal.open(stored(sealed)).html).toBeUndefined()
  })

  it('refuses a sealed body moved into another row', () => {
    const a = seal.seal(row())
    const b = seal.seal(row({ toAddress: 'ada@example.com' }))
    expect(() => seal.open({ ...stored(b), textBody: a.textBody ?? null })).toThrow(
      MailUnreadableError,
    )
    expect(() => seal.open({ ...stored(b), htmlBody: a.htmlBody ?? null })).toThrow(
      MailUnreadableError,
    )
  })

  it('refuses a row whose recipient was changed', () => {
    const sealed = stored(seal.seal(row()))
    expect(() => seal.open({ ...sealed, toAddress: 'mallory@example.com' })).toThrow(
      MailUnreadableError,
    )
  })

  it('refuses the text body in the HTML slot', () => {
    const sealed = stored(seal.seal(row()))
    expect(() => seal.open({ ...sealed, htmlBody: sealed.textBody })).toThrow(MailUnreadableError)
  })

  it('refuses a body sealed under another key-encryption key', () => {
    const other = new MailSeal(randomBytes(32))
    const sealed = stored(other.seal(row()))
    expect(() => seal.open(sealed)).toThrow(MailUnreadableError)
  })

  it('refuses altered bytes, a truncated tag, and an unknown version, rather than sending them as plain text', () => {
    const sealed = stored(seal.seal(row()))
    const [prefix, version, iv, ciphertext, tag] = (sealed.textBody as string).split('.')
    const flipped = Buffer.from(ciphertext as string, 'base64url')
    flipped[0] = (flipped[0] as number) ^ 1
    const variants = [
      [prefix, version, iv, flipped.toString('base64url'), tag],
      [
        prefix,
        version,
        iv,
        ciphertext,
        Buffer.from(tag as string, 'base64url')
          .subarray(0, 4)
          .toString('base64url'),
      ],
      [prefix, 'v2', iv, ciphertext, tag],
      [prefix, version, iv, ciphertext],
      [prefix, version, iv, ciphertext, tag, 'extra'],
    ]
    for (const parts of variants) {
      const textBody = parts.join('.')
      expect(() => seal.open({ ...sealed, textBody }), textBody).toThrow(MailUnreadableError)
    }
  })

  it('sends a body written before sealing (plain text) as it is', () => {
    const legacy = stored(row())
    expect(seal.open(legacy)).toEqual({ text: legacy.textBody, html: legacy.htmlBody })
  })

  it('refuses a mail without a body (only a sent mail has none)', () => {
    expect(() => seal.open({ ...stored(row()), textBody: null })).toThrow(MailUnreadableError)
  })
})
