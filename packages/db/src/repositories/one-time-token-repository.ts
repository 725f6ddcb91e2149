import type { NewEmailOutbox, NewOneTimeToken, OneTimeTokenRecord } from '../records.js'

/**
 * What a one-time token is for. An mfa_challenge is the `mfa_token` of a sign-in waiting for
 * its second factor: it also counts wrong answers (recordFailure).
 */
export type OneTimePurpose = 'password_reset' | 'email_verify' | 'oauth_login' | 'mfa_challenge'

export interface OneTimeTokenRepository {
  /**
   * Issues a token, voiding every unused token of the same purpose for the user (a newer reset
   * link makes older ones dead), and, in the same transaction, queues the mail that carries it:
   * a token whose mail was not stored does not exist, and a stored mail always has its token.
   */
  issue(token: NewOneTimeToken, mail?: NewEmailOutbox): Promise<OneTimeTokenRecord>
  /** The token if it is unused, unexpired and of this purpose, without spending it. */
  findActive(
    tokenHash: string,
    purpose: OneTimePurpose,
    now: Date,
  ): Promise<OneTimeTokenRecord | undefined>
  /**
   * Voids every unused token of these purposes for the user (a password change voids the reset
   * links mailed before it); how many.
   */
  voidForUser(userId: string, purposes: readonly OneTimePurpose[], now: Date): Promise<number>
  /**
   * Spends a token: returns it when it was unused, unexpired and of this purpose, marking it
   * used in the same statement, so of two concurrent uses exactly one gets it.
   */
  consume(
    tokenHash: string,
    purpose: OneTimePurpose,
    now: Date,
  ): Promise<OneTimeTokenRecord | undefined>
  /**
   * Counts a wrong answer given with an active token, in one statement; the answer that
   * reaches `maxFailures` spends the token. Returns the failures so far, or undefined when
   * the token was not active.
   */
  recordFailure(
    tokenHash: string,
    purpose: OneTimePurpose,
    now: Date,
    maxFailures: number,
  ): Promise<number | undefined>
}
