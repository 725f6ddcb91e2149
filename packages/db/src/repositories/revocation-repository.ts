import type { NewRevocation, RevocationRecord } from '../records.js'

/** What a revocation names: one session, or every token of one user. */
export type RevocationKind = 'session' | 'user'

/**
 * The revocation feed's rows (docs/design.md, Revocation). The session repositories append the
 * sessions they end in the same transaction; `append` is for the rest (a user disabled or
 * deleted). Ids are the cursor: every row appended after a reader saw id N has an id above N.
 */
export interface RevocationRepository {
  append(entries: readonly NewRevocation[]): Promise<void>
  /** Rows with an id above `cursor`, in id order, at most `limit`. */
  after(cursor: number, limit: number): Promise<RevocationRecord[]>
  /** The highest id there is (0 for none): where a new reader that wants only news starts. */
  latestId(): Promise<number>
  /** The lowest id still kept (undefined when none is). */
  oldestId(): Promise<number | undefined>
  /** Drops rows revoked before `before` (no token they concern can still be valid). */
  pruneBefore(before: Date): Promise<number>
}
