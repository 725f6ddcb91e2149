import type { UserRecord } from '@authpair/db'

/**
 * Which account a provider identity signs in to, decided from what is known, with no I/O: the
 * rules against pre-hijacked accounts (Sudhodanan and Paverd, "Pre-hijacked accounts", USENIX
 * Security 2022) and OWASP's guidance on linking accounts. An address claims an account only
 * when someone proved control of it:
 *
 * - an identity already linked signs in to its account;
 * - a provider-verified address that a verified account holds links to it (the same mailbox
 *   owner proved it at both ends);
 * - a provider-verified address that an UNVERIFIED account holds takes the account over
 *   ("claim"): whoever registered it never proved the address, so every credential and session
 *   it had is removed before the identity is linked (the account may be a trap an attacker set
 *   before the owner arrived);
 * - a provider-verified address nobody holds makes a new, verified account;
 * - an unverified address (Yandex asserts nothing) never claims anything: it does not link to
 *   the account that holds it, and a new account gets no address at all; a verification link
 *   mailed to it can prove it later, and loses to the owner if the owner proves it first.
 */
export type FederatedAccountDecision =
  | { action: 'sign_in'; user: UserRecord }
  | { action: 'link'; user: UserRecord }
  | { action: 'claim'; user: UserRecord }
  | {
      action: 'create'
      /** The account's address: set only when the provider verified it. */
      email: string | null
      /** An unverified address to mail a verification link to, for an account made without one. */
      pendingEmail: string | null
    }
  | { action: 'refuse'; reason: 'account_exists' | 'account_disabled' | 'email_unavailable' }

export interface FederatedAccountFacts {
  /** The account the identity is already linked to, if any. */
  linkedUser: UserRecord | undefined
  /** The provider's address, normalized; undefined when it gave none. */
  email: string | undefined
  /** The provider asserts the address is verified. */
  emailVerified: boolean
  /** The account holding `email`, if any. */
  holder: UserRecord | undefined
}

export function decideFederatedAccount(facts: FederatedAccountFacts): FederatedAccountDecision {
  const { linkedUser, email, emailVerified, holder } = facts
  if (linkedUser) {
    return linkedUser.isActive
      ? { action: 'sign_in', user: linkedUser }
      : { action: 'refuse', reason: 'account_disabled' }
  }
  if (!email) return { action: 'refuse', reason: 'email_unavailable' }
  if (holder) {
    // An unverified provider address never links, whatever the holder's state.
    if (!emailVerified) return { action: 'refuse', reason: 'account_exists' }
    if (!holder.isActive) return { action: 'refuse', reason: 'account_disabled' }
    return holder.emailVerified
      ? { action: 'link', user: holder }
      : { action: 'claim', user: holder }
  }
  return emailVerified
    ? { action: 'create', email, pendingEmail: null }
    : { action: 'create', email: null, pendingEmail: email }
}
