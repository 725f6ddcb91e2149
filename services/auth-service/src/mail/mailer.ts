import type { FastifyBaseLogger } from 'fastify'
import nodemailer from 'nodemailer'

export interface OutgoingMail {
  /** Stable per outbox row: a receiver can tell a resent mail from a new one. */
  messageId: string
  from: string
  to: string
  subject: string
  text: string
  html?: string | undefined
}

export interface Mailer {
  readonly kind: 'smtp' | 'log'
  send(mail: OutgoingMail): Promise<void>
  close(): void
}

/** nodemailer over SMTP_URL (smtp://user:pass@host:587, smtps://… for implicit TLS). */
export function smtpMailer(url: string): Mailer {
  const transport = nodemailer.createTransport(url, {
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  } as never)
  return {
    kind: 'smtp',
    async send(mail) {
      await transport.sendMail({
        messageId: mail.messageId,
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        ...(mail.html ? { html: mail.html } : {}),
      })
    },
    close() {
      transport.close()
    },
  }
}

/**
 * Development without SMTP: the mail, link included, goes to the log so a newcomer can click
 * it. Production refuses to start without SMTP_URL, so this never runs there.
 */
export function logMailer(log: FastifyBaseLogger): Mailer {
  return {
    kind: 'log',
    async send(mail) {
      log.info(
        { mail: { to: mail.to, subject: mail.subject } },
        `mail (SMTP_URL unset):\n${mail.text}`,
      )
    },
    close() {},
  }
}
