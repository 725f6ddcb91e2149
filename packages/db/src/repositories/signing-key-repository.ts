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
  /** Retires every key not yet retired except `keepKid`; returns the keys it retired. */
  retireOthers(keepKid: string, retiredAt: Date, publishedUntil: Date): Promise<SigningKeyRecord[]>
}
