import type { NewPasskey, PasskeyRecord, WebauthnChallengeRecord } from '../records.js'

/** What a successful assertion changes on its passkey. */
export interface PasskeyUse {
  /** The counter the assertion was checked against: the update is conditional on it. */
  previousSignCount: number
  signCount: number
  backedUp: boolean
  at: Date
}

/**
 * A user's passkeys (WebAuthn credentials) and the challenges of their ceremonies. Storage
 * only: the WebAuthn checks happen above. Every "once" is one conditional statement, so of two
 * concurrent uses exactly one wins.
 */
export interface PasskeyRepository {
  /** Throws UniqueViolationError (`passkeys_credential_id_key`) for a credential already stored. */
  create(passkey: NewPasskey): Promise<void>
  listForUser(userId: string): Promise<PasskeyRecord[]>
  countForUser(userId: string): Promise<number>
  findByCredentialId(credentialId: string): Promise<PasskeyRecord | undefined>
  /** The user's own passkey by id: another user's is undefined (no oracle). */
  findForUser(userId: string, id: string): Promise<PasskeyRecord | undefined>
  /** Renames the user's own passkey; undefined when the user has none with this id. */
  rename(userId: string, id: string, name: string): Promise<PasskeyRecord | undefined>
  /** Deletes the user's own passkey; false when the user has none with this id. */
  delete(userId: string, id: string): Promise<boolean>
  /** Deletes every passkey of the user (an account claimed by its address's owner); how many. */
  deleteAllForUser(userId: string): Promise<number>
  /**
   * Records a sign-in with the passkey: the new counter, backup state and last use, only while
   * the stored counter is still `previousSignCount` (false otherwise: a concurrent use won).
   */
  recordUse(id: string, use: PasskeyUse): Promise<boolean>
  /** Stores a challenge, and drops the expired ones (of anybody) on the way. */
  issueChallenge(challenge: WebauthnChallengeRecord): Promise<void>
  /**
   * Takes a challenge: deletes it and answers it when it exists, has this purpose and has not
   * expired at `now`; undefined otherwise. A challenge is taken at most once.
   */
  takeChallenge(
    challenge: string,
    purpose: WebauthnChallengeRecord['purpose'],
    now: Date,
  ): Promise<WebauthnChallengeRecord | undefined>
}
