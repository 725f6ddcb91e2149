/**
 * The mails the auth-service sends, in plain text and HTML, in English and Russian. Product
 * name and links come from configuration (never from the request's Host).
 */
export type MailLocale = 'en' | 'ru'
export type MailKind = 'password_reset' | 'password_changed' | 'email_verify'

export interface RenderedMail {
  subject: string
  text: string
  html: string
}

export interface MailVariables {
  product: string
  /** The link with the token, for reset and verification mails. */
  link?: string
  /** How long the link works, minutes. */
  minutes?: number
}

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

type Copy = { subject: string; lines: string[]; action?: string }

const COPY: Record<MailLocale, Record<MailKind, (v: MailVariables) => Copy>> = {
  en: {
    password_reset: (v) => ({
      subject: `Reset your ${v.product} password`,
      lines: [
        `Someone asked to reset the password of your ${v.product} account.`,
        `The link below works once, for ${v.minutes} minutes. If it was not you, ignore this mail: your password stays as it is.`,
      ],
      action: 'Choose a new password',
    }),
    password_changed: (v) => ({
      subject: `Your ${v.product} password was changed`,
      lines: [
        `The password of your ${v.product} account was just changed, and every session was signed out.`,
        'If you did not do this, reset your password now and contact support.',
      ],
    }),
    email_verify: (v) => ({
      subject: `Confirm your email for ${v.product}`,
      lines: [
        `Confirm that this address belongs to your ${v.product} account.`,
        `The link works for ${v.minutes} minutes.`,
      ],
      action: 'Confirm my email',
    }),
  },
  ru: {
    password_reset: (v) => ({
      subject: `Сброс пароля ${v.product}`,
      lines: [
        `Кто-то запросил сброс пароля вашей учётной записи ${v.product}.`,
        `Ссылка ниже действует один раз в течение ${v.minutes} минут. Если это были не вы, просто проигнорируйте письмо: пароль не изменится.`,
      ],
      action: 'Задать новый пароль',
    }),
    password_changed: (v) => ({
      subject: `Пароль ${v.product} изменён`,
      lines: [
        `Пароль вашей учётной записи ${v.product} только что изменён, все сеансы завершены.`,
        'Если это были не вы, сбросьте пароль и свяжитесь с поддержкой.',
      ],
    }),
    email_verify: (v) => ({
      subject: `Подтвердите адрес для ${v.product}`,
      lines: [
        `Подтвердите, что этот адрес принадлежит вашей учётной записи ${v.product}.`,
        `Ссылка действует ${v.minutes} минут.`,
      ],
      action: 'Подтвердить адрес',
    }),
  },
}

export function renderMail(
  kind: MailKind,
  locale: MailLocale,
  variables: MailVariables,
): RenderedMail {
  const copy = COPY[locale][kind](variables)
  const text = [
    ...copy.lines,
    ...(copy.action && variables.link ? ['', `${copy.action}: ${variables.link}`] : []),
    '',
    `— ${variables.product}`,
  ].join('\n')
  const paragraphs = copy.lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('\n')
  const button =
    copy.action && variables.link
      ? `<p><a href="${escapeHtml(variables.link)}">${escapeHtml(copy.action)}</a></p>`
      : ''
  const html = `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(copy.subject)}</title></head>
<body>
${paragraphs}
${button}
<p>— ${escapeHtml(variables.product)}</p>
</body></html>`
  return { subject: copy.subject, text, html }
}

/**
 * The user's locale if it is one we write in, else the first supported language of
 * Accept-Language (by q-value), else English.
 */
export function pickLocale(
  userLocale: string | null | undefined,
  acceptLanguage?: string,
): MailLocale {
  const supported = (tag: string | null | undefined): MailLocale | undefined => {
    const base = tag?.trim().toLowerCase().split('-')[0]
    return base === 'ru' || base === 'en' ? base : undefined
  }
  const fromUser = supported(userLocale)
  if (fromUser) return fromUser
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.split(';')
      const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean)
      return { tag, q: q === undefined ? 1 : Number(q) }
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q)
  for (const { tag } of ranked) {
    const locale = supported(tag)
    if (locale) return locale
  }
  return 'en'
}
