import { createRequire } from 'node:module'
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '@authpair/contracts'

/**
 * NIST SP 800-63B §3.1.1.2: length limits (enforced by the contract schema too), no
 * composition rules, and a check against passwords known from breaches and common use, plus
 * the context (the account's own email). The list is zxcvbn-ts's common-passwords dictionary
 * (about 49,000 entries from breach corpora, MIT), shipped as a dependency: no network call.
 */
const require = createRequire(import.meta.url)

let common: ReadonlySet<string> | undefined
function commonPasswords(): ReadonlySet<string> {
  if (!common) {
    const { dictionary } = require('@zxcvbn-ts/language-common') as {
      dictionary: Record<string, string[]>
    }
    common = new Set((dictionary['passwords-common'] ?? []).map((p) => p.toLowerCase()))
  }
  return common
}

/** How many passwords the list holds (for the README and tests). */
export function commonPasswordCount(): number {
  return commonPasswords().size
}

/** Loads the list now rather than on the first registration. */
export function preloadPasswordList(): void {
  commonPasswords()
}

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, context: { email: string }): string | undefined {
  const length = [...password].length
  if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`
  const lowered = password.toLowerCase()
  if (commonPasswords().has(lowered)) {
    return 'is too common: it appears in lists of breached passwords'
  }
  const email = context.email.toLowerCase()
  const local = email.split('@')[0] ?? ''
  if (lowered === email || (local.length >= 4 && lowered.includes(local))) {
    return 'must not contain your email address'
  }
  if (/^(.)\1+$/u.test(password)) return 'must not be one character repeated'
  return undefined
}
