/**
 * A real SMTP server process-side (the smtp-server package): it accepts mail over TCP, and the
 * tests read what it received, parsed with mailparser. It can be stopped and started again on
 * the same port to play an outage.
 */
import type { AddressInfo } from 'node:net'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  to: string
  subject: string
  text: string
  html: string
  messageId: string
}

export interface SmtpSink {
  url: string
  port: number
  received: ReceivedMail[]
  stop(): Promise<void>
  start(): Promise<void>
  /** Waits until `count` mails to `to` have arrived (or any, without `to`). */
  waitFor(count: number, to?: string, timeoutMs?: number): Promise<ReceivedMail[]>
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const received: ReceivedMail[] = []
  let server: SMTPServer | undefined
  let port = 0

  const listen = async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, callback) {
        simpleParser(stream)
          .then((mail) => {
            const to = Array.isArray(mail.to) ? mail.to[0]?.text : mail.to?.text
            received.push({
              to: to ?? '',
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              html: typeof mail.html === 'string' ? mail.html : '',
              messageId: mail.messageId ?? '',
            })
            callback()
          })
          .catch(callback)
      },
    })
    await new Promise<void>((resolve, reject) => {
      server?.once('error', reject)
      server?.listen(port, '127.0.0.1', () => resolve())
    })
    port = (server.server.address() as AddressInfo).port
  }
  await listen()

  return {
    get url() {
      return `smtp://127.0.0.1:${port}`
    },
    get port() {
      return port
    },
    received,
    stop: () =>
      new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
    start: listen,
    async waitFor(count, to, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs
      const matching = () => received.filter((m) => to === undefined || m.to === to)
      while (matching().length < count) {
        if (Date.now() > deadline) {
          throw new Error(
            `expected ${count} mail(s)${to ? ` to ${to}` : ''}, got ${matching().length}`,
          )
        }
        await new Promise((r) => setTimeout(r, 20))
      }
      return matching()
    },
  }
}

/** The token in a mail's link (?token=…). */
export function tokenFrom(mail: ReceivedMail): { token: string; link: URL } {
  const match = /(https?:\/\/\S+\?token=[\w-]+)/.exec(mail.text)
  if (!match?.[1]) throw new Error(`no link in mail: ${mail.text}`)
  const link = new URL(match[1])
  return { token: link.searchParams.get('token') ?? '', link }
}
