/**
 * The mails the auth-service sends, in plain text and HTML, in English and Russian. Product
 * name and links come from configuration (never from the request's Host).
 */
export type MailLocale = 'en' | 'ru'
export type MailKind =
  | 'password_reset'
  | 'password_changed'
  | 'email_verify'
  | 'account_claimed'
  | 'sign_in_locked'
  | 'mfa_enabled'
  | 'mfa_removed'
  | 'recovery_codes_regenerated'
  | 'recovery_code_used'
  | 'passkey_added'
  | 'passkey_removed'

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
  /** The provider a sign-in came through (account_claimed). */
  provider?: string | undefined
  /** Recovery codes still unused (recovery_code_used). */
  left?: number
  /** An admin made the change, not the user (mfa_removed, passkey_removed). */
  byAdmin?: boolean
  /** The passkey's name, as its owner named it (passkey_added, passkey_removed). */
  passkeyName?: string
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
        `If you did not create a ${v.product} account, do not click: ignore this mail and nothing will be tied to your address.`,
      ],
      action: 'Confirm my email',
    }),
    account_claimed: (v) => ({
      subject: `Your ${v.product} account was secured`,
      lines: [
        v.provider
          ? `You signed in with ${v.provider}, which confirmed that this address is yours.`
          : 'A password reset confirmed that this address is yours.',
        `The ${v.product} account registered with this address had never confirmed it, so whoever registered it may not have been you: we removed its earlier password, its linked sign-ins and every session.`,
        'If that earlier password was yours, set a new one with "Forgot password".',
      ],
    }),
    sign_in_locked: (v) => ({
      subject: `Sign-in to your ${v.product} account is paused`,
      lines: [
        `There were many wrong passwords (or second-factor codes) for your ${v.product} account, so sign-in is paused for ${v.minutes} minutes.`,
        'If it was you, wait, or reset your password: a reset link works during the pause. If it was not you, your password held; consider changing it.',
      ],
    }),
    passkey_added: (v) => ({
      subject: `A passkey was added to your ${v.product} account`,
      lines: [
        `A passkey named “${v.passkeyName}” was just added to your ${v.product} account: it can sign in without your password.`,
        'If you did not do this, reset your password now, delete the passkey, and contact support.',
      ],
    }),
    passkey_removed: (v) => ({
      subject: `A passkey was removed from your ${v.product} account`,
      lines: [
        v.byAdmin
          ? `An administrator removed the passkey named “${v.passkeyName}” from your ${v.product} account.`
          : `The passkey named “${v.passkeyName}” was just removed from your ${v.product} account.`,
        v.byAdmin
          ? 'If you did not ask for this, contact support.'
          : 'If you did not do this, reset your password now and contact support.',
      ],
    }),
    mfa_enabled: (v) => ({
      subject: `Two-step sign-in is on for your ${v.product} account`,
      lines: [
        `An authenticator app was just added to your ${v.product} account: signing in now also asks for its code.`,
        'If you did not do this, reset your password now and contact support.',
      ],
    }),
    mfa_removed: (v) => ({
      subject: `Two-step sign-in is off for your ${v.product} account`,
      lines: [
        v.byAdmin
          ? `An administrator removed the authenticator app and recovery codes of your ${v.product} account.`
          : `The authenticator app and recovery codes of your ${v.product} account were just removed.`,
        'Signing in now asks only for your password. If you did not ask for this, reset your password now and contact support.',
      ],
    }),
    recovery_codes_regenerated: (v) => ({
      subject: `New recovery codes for your ${v.product} account`,
      lines: [
        `New recovery codes were just made for your ${v.product} account; the old ones no longer work.`,
        'If you did not do this, reset your password now and contact support.',
      ],
    }),
    recovery_code_used: (v) => ({
      subject: `A recovery code was used to sign in to ${v.product}`,
      lines: [
        `Someone signed in to your ${v.product} account with one of its recovery codes. ${v.left} unused codes are left.`,
        'If it was not you, reset your password and make new recovery codes now.',
      ],
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
        `Если вы не создавали учётную запись ${v.product}, не переходите по ссылке: просто проигнорируйте письмо, и к вашему адресу ничего не будет привязано.`,
      ],
      action: 'Подтвердить адрес',
    }),
    account_claimed: (v) => ({
      subject: `Ваша учётная запись ${v.product} защищена`,
      lines: [
        v.provider
          ? `Вы вошли через ${v.provider}, и это подтвердило, что адрес принадлежит вам.`
          : 'Сброс пароля подтвердил, что адрес принадлежит вам.',
        `Учётная запись ${v.product}, зарегистрированная на этот адрес, так и не подтвердила его, поэтому её мог создать не вы: мы удалили её прежний пароль, привязанные способы входа и все сеансы.`,
        'Если прежний пароль был вашим, задайте новый через «Забыли пароль».',
      ],
    }),
    sign_in_locked: (v) => ({
      subject: `Вход в учётную запись ${v.product} приостановлен`,
      lines: [
        `Для вашей учётной записи ${v.product} было введено много неверных паролей (или кодов второго фактора), поэтому вход приостановлен на ${v.minutes} минут.`,
        'Если это были вы, подождите или сбросьте пароль: ссылка для сброса работает и во время паузы. Если это были не вы, пароль устоял; подумайте о том, чтобы его сменить.',
      ],
    }),
    passkey_added: (v) => ({
      subject: `К учётной записи ${v.product} добавлен ключ доступа`,
      lines: [
        `К вашей учётной записи ${v.product} только что добавлен ключ доступа «${v.passkeyName}»: с ним можно войти без пароля.`,
        'Если это были не вы, сбросьте пароль, удалите ключ и свяжитесь с поддержкой.',
      ],
    }),
    passkey_removed: (v) => ({
      subject: `Из учётной записи ${v.product} удалён ключ доступа`,
      lines: [
        v.byAdmin
          ? `Администратор удалил ключ доступа «${v.passkeyName}» из вашей учётной записи ${v.product}.`
          : `Ключ доступа «${v.passkeyName}» только что удалён из вашей учётной записи ${v.product}.`,
        v.byAdmin
          ? 'Если вы об этом не просили, свяжитесь с поддержкой.'
          : 'Если это были не вы, сбросьте пароль и свяжитесь с поддержкой.',
      ],
    }),
    mfa_enabled: (v) => ({
      subject: `Двухэтапный вход в ${v.product} включён`,
      lines: [
        `К вашей учётной записи ${v.product} только что подключено приложение-аутентификатор: теперь при входе нужен и его код.`,
        'Если это были не вы, сбросьте пароль и свяжитесь с поддержкой.',
      ],
    }),
    mfa_removed: (v) => ({
      subject: `Двухэтапный вход в ${v.product} выключен`,
      lines: [
        v.byAdmin
          ? `Администратор удалил приложение-аутентификатор и резервные коды вашей учётной записи ${v.product}.`
          : `Приложение-аутентификатор и резервные коды вашей учётной записи ${v.product} только что удалены.`,
        'Теперь для входа нужен только пароль. Если вы этого не просили, сбросьте пароль и свяжитесь с поддержкой.',
      ],
    }),
    recovery_codes_regenerated: (v) => ({
      subject: `Новые резервные коды для ${v.product}`,
      lines: [
        `Для вашей учётной записи ${v.product} только что созданы новые резервные коды; старые больше не действуют.`,
        'Если это были не вы, сбросьте пароль и свяжитесь с поддержкой.',
      ],
    }),
    recovery_code_used: (v) => ({
      subject: `Для входа в ${v.product} использован резервный код`,
      lines: [
        `В вашу учётную запись ${v.product} вошли с одним из резервных кодов. Неиспользованных кодов осталось: ${v.left}.`,
        'Если это были не вы, сбросьте пароль и сразу создайте новые резервные коды.',
      ],
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
