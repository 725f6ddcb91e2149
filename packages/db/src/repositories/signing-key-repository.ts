import type { NewSigningKey, SigningKeyRecord } from '../records.js'

export interface SigningKeyRepository {
  insert(key: NewSigningKey): Promise<SigningKeyRecord>
  /** Every key, newest first (for the admin list). */
  list(): Promise<SigningKeyRecord[]>
  /**
   * The keys the JWKS publishes at `now`: the next key (created, not yet active), the active
   * one, and retired keys whose `publishedUntil` is still ahead. Oldest first.
   */
  listPublished(now: Date): Promise<SigningKeyRecord[]>
  /**
   * Makes way for key `keepKid`, which activates at `retiredAt`: every key signing at `now` (or
   * scheduled to) signs until `retiredAt` and stays published until `publishedUntil`; every key
   * still waiting to activate is superseded before it ever signs, so it is retired at its own
   * activation and unpublished at once (no token can name it). Without the second rule, each
   * rotation in a row left one more key published for the whole retirement period, and a
   * hundred quick rotations made a JWKS larger than verifiers accept. Returns the keys changed.
   */
  retireOthers(
    keepKid: string,
    plan: { now: Date; retiredAt: Date; publishedUntil: Date },
  ): Promise<SigningKeyRecord[]>
}
