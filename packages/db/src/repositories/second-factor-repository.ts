import type { NewRecoveryCode, NewTotpFactor, TotpFactorRecord } from '../records.js'

/** A new enrolment: never confirmed, never used, at birth. */
export type NewTotpEnrolment = Omit<NewTotpFactor, 'confirmedAt' | 'lastUsedStep'>

/**
 * A user's second factors: the authenticator app (TOTP) and the recovery codes that stand in
 * for it. Storage only: the secret arrives encrypted and codes arrive hashed; every "once" is
 * one conditional statement, so of two concurrent uses exactly one wins.
 */
export interface SecondFactorRepository {
  /** The user's authenticator, confirmed or still in enrolment. */
  findTotp(userId: string): Promise<TotpFactorRecord | undefined>
  /**
   * Starts an enrolment, replacing one still in progress; false (and nothing written) when the
   * user's authenticator is already confirmed.
   */
  beginTotp(enrolment: NewTotpEnrolment): Promise<boolean>
  /**
   * Confirms the enrolment in progress, recording the time step of the code that proved it
   * (so that code cannot sign in later) and replacing the recovery codes with `codes`, in one
   * transaction; false when no enrolment is in progress.
   */
  confirmTotp(
    userId: string,
    confirm: { at: Date; step: number },
    codes: readonly NewRecoveryCode[],
  ): Promise<boolean>
  /**
   * Records an accepted code's time step on a confirmed authenticator, unless a code of this
   * step or a later one was accepted before: false for a replay (RFC 6238 §5.2).
   */
  useTotpStep(userId: string, step: number): Promise<boolean>
  /** Spends one unused recovery code of the user: false when none has this hash. */
  useRecoveryCode(userId: string, codeHash: string, at: Date): Promise<boolean>
  /** Replaces every recovery code with `codes`; false (nothing written) without a confirmed authenticator. */
  replaceRecoveryCodes(userId: string, codes: readonly NewRecoveryCode[]): Promise<boolean>
  countUnusedRecoveryCodes(userId: string): Promise<number>
  /** Removes the authenticator and every recovery code; whether a confirmed authenticator went. */
  removeAll(userId: string): Promise<{ totp: boolean; recoveryCodes: number }>
}
