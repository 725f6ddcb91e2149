import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import type { EmailOutboxRecord, NewEmailOutbox } from '@authpair/db'

/**
 * Outbox mail bodies, sealed at rest. A reset or verification mail carries a one-time link, so
 * whoever reads its body from the database (a dump, a backup, a read replica, an injection that
 * only reads) could use the token. AccountService seals the bodies when it builds the row; the
 * outbox worker opens them just before sending; markSent then drops them. The database only
 * ever holds the sealed string, and packages/db does not know it is one.
 *
 * Cipher: AES-256-GCM with a 96-bit random IV per body. The key is derived from the
 * key-encryption key with HKDF (never the KEK itself, like the OAuth cookie key): one key per
 * purpose, so a ciphertext of one purpose never opens as another's, and the random-IV budget of
 * NIST SP 800-38D §8.3 (2^32 encryptions per key; two per mail) is this purpose's alone.
 *
 * Additional data: the row id, the recipient and which body. A sealed body copied into another
 * row, or a row whose recipient was edited, fails to open instead of handing someone's link to
 * someone else.
 *
 * Format: `sealed-mail.v1.<iv>.<ciphertext>.<tag>`, each part base64url. The prefix says what the
 * value is, the version how to open it; a value with the prefix that does not open (unknown
 * version, another key, altered bytes, another row) is refused and never sent as written.
 *
 * A body without the prefix is a row written before bodies were sealed (plain text), and it is
 * sent as it is. That is safe: such a row was readable before this code ran, so sending it shows
 * nobody anything new; nothing writes plain rows any more (every row is built by AccountService,
 * which seals); writing a row at all takes write access to the database, which sealing never
 * claimed to stop (such a writer could set a password hash directly); and the plain rows go away
 * by themselves: a sent row loses its body, an unsent one is deleted after OUTBOX_RETENTION_DAYS.
 * A rendered template never starts with the prefix (the text starts with fixed copy, the HTML
 * with `<!doctype html>`), so a plain body is never mistaken for a sealed one.
 */
const PREFIX = 'sealed-mail'
const VERSION = 'v1'
const KEY_INFO = 'authpair outbox mail v1'

type Part = 'text' | 'html'
type MailRow = Pick<EmailOutboxRecord, 'id' | 'toAddress' | 'textBody' | 'htmlBody'>

/** A mail the worker cannot send as stored: no body, or a sealed body that does not open. */
export class MailUnreadableError extends Error {
  readonly code = 'mail_unreadable'
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'MailUnreadableError'
  }
}

export interface OpenedMail {
  text: string
  html: string | undefined
}

export class MailSeal {
  readonly #key: Buffer

  /** `kek`: the key-encryption key (32 bytes); the mail key is derived from it. */
  constructor(kek: Buffer) {
    this.#key = Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), KEY_INFO, 32))
  }

  /** The row with both bodies sealed to it (its id and recipient). */
  seal(mail: NewEmailOutbox): NewEmailOutbox {
    return {
      ...mail,
      textBody: mail.textBody == null ? mail.textBody : this.#seal(mail, 'text', mail.textBody),
      htmlBody: mail.htmlBody == null ? mail.htmlBody : this.#seal(mail, 'html', mail.htmlBody),
    }
  }

  /** The bodies to send. Throws MailUnreadableError for a body that does not open. */
  open(mail: MailRow): OpenedMail {
    if (mail.textBody === null) throw new MailUnreadableError(`mail ${mail.id} has no body`)
    return {
      text: this.#open(mail, 'text', mail.textBody),
      html: mail.htmlBody === null ? undefined : this.#open(mail, 'html', mail.htmlBody),
    }
  }

  #seal(mail: Pick<MailRow, 'id' | 'toAddress'>, part: Part, plaintext: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    cipher.setAAD(additionalData(mail, part))
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return [PREFIX, VERSION, ...[iv, ciphertext, cipher.getAuthTag()].map(base64url)].join('.')
  }

  #open(mail: MailRow, part: Part, stored: string): string {
    if (!stored.startsWith(`${PREFIX}.`)) return stored // written before sealing: see above
    const [, version, iv, ciphertext, tag, ...rest] = stored.split('.')
    if (version !== VERSION || !iv || ciphertext === undefined || !tag || rest.length > 0) {
      throw new MailUnreadableError(`mail ${mail.id}: unknown sealed format`)
    }
    try {
      // The tag length is pinned: GCM would otherwise accept a truncated (weaker) tag.
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'), {
        authTagLength: 16,
      })
      decipher.setAAD(additionalData(mail, part))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8')
    } catch (error) {
      throw new MailUnreadableError(
        `mail ${mail.id}: the ${part} body does not open (another KEY_ENCRYPTION_KEY, or it was altered or moved from another row)`,
        { cause: error },
      )
    }
  }
}

const base64url = (bytes: Buffer) => bytes.toString('base64url')

/** What a body is bound to; JSON so that no two (id, address, part) encode alike. */
function additionalData(mail: Pick<MailRow, 'id' | 'toAddress'>, part: Part): Buffer {
  return Buffer.from(JSON.stringify([KEY_INFO, mail.id, mail.toAddress, part]), 'utf8')
}
