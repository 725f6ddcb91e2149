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

/**
 * How long one SMTP exchange may wait, ms: for the TCP connection, for the server's greeting
 * once connected, and for any answer after that. nodemailer's own defaults are 2 minutes,
 * 30 s and 10 minutes, and the outbox worker sends one mail at a time: a server that accepts
 * connections but never answers would hold every mail behind the first that long.
 */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 }

/** nodemailer over SMTP_URL (smtp://user:pass@host:587, smtps://… for implicit TLS). */
export function smtpMailer(url: string): Mailer {
  // The timeouts go in the transport options beside the url. (A second argument to
  // createTransport would be message defaults: timeouts there are silently ignored.)
  const transport = nodemailer.createTransport({ url, ...SMTP_TIMEOUTS })
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
