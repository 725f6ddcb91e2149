import { createHash } from 'node:crypto'
import { normalizeEmail } from '@authpair/accounts'
import type { RateLimit } from '@authpair/service-kit'

/** Accounts are keyed by a hash of the normalized address: no address is written to Redis. */
export function accountKey(email: string): string {
  return createHash('sha256').update(normalizeEmail(email)).digest('base64url')
}

/**
 * Brute-force protection on passwords that does not hand a stranger a way to lock the owner out
 * (OWASP Authentication Cheat Sheet, "account lockout"):
 *
 * - failures are counted per (account, client address) first: a guesser from one address is
 *   stopped there, and the owner, signing in from their own, is not;
 * - failures from all addresses together lock the account only at a higher count (guessing
 *   spread over many addresses); the owner is mailed when that lock starts, and a password
 *   reset, whose link proves the mailbox, lifts it;
 * - only failures count: the right password never feeds a lock, and it clears its address's.
 *
 * Unknown addresses are counted like known ones, so the answers tell nothing about existence.
 */
export class SignInThrottle {
  constructor(
    private readonly perAccountAddress: RateLimit,
    private readonly perAccount: RateLimit,
  ) {}

  /** Before a password is checked: 429 while this account is locked, for this address or all. */
  async assertMayTry(email: string, ip: string): Promise<void> {
    const account = accountKey(email)
    await this.perAccountAddress.assertUnder(`${account}:${ip}`)
    await this.perAccount.assertUnder(account)
  }

  /** A wrong password: `accountLocked` is true for the failure that started the account's lock. */
  async failed(email: string, ip: string): Promise<{ accountLocked: boolean }> {
    const account = accountKey(email)
    await this.perAccountAddress.recordFailure(`${account}:${ip}`)
    const { lockedNow } = await this.perAccount.recordFailure(account)
    return { accountLocked: lockedNow }
  }

  /** The right password from this address: its own count starts over. */
  async succeeded(email: string, ip: string): Promise<void> {
    await this.perAccountAddress.clear(`${accountKey(email)}:${ip}`)
  }

  /** The owner proved the mailbox (a reset): the account's lock goes. */
  async ownerProven(email: string, ip: string): Promise<void> {
    await this.perAccount.clear(accountKey(email))
    await this.perAccountAddress.clear(`${accountKey(email)}:${ip}`)
  }

  /** How long the account's lock lasts, minutes (for the mail that announces it). */
  get lockMinutes(): number {
    return Math.round(this.perAccount.options.windowMs / 60_000)
  }
}
