import type {
  NewRefreshToken,
  NewSession,
  RefreshTokenRecord,
  SessionRecord,
  UserRecord,
} from '../records.js'
import { isSessionLive } from '../session-liveness.js'

/** A new session: never revoked at birth. */
export type NewSessionInput = Omit<NewSession, 'revokedAt' | 'revokedReason'>
/** The token a session starts with: never rotated at birth. */
export type FirstRefreshToken = Omit<NewRefreshToken, 'sessionId' | 'rotatedAt' | 'replacedBy'>

export interface RotateRefreshTokenInput {
  /** SHA-256 of the presented token. */
  presentedHash: string
  /** The token that replaces it. Its expiresAt is capped at the session's absolute expiry. */
  next: Omit<NewRefreshToken, 'sessionId' | 'rotatedAt' | 'replacedBy'>
  now: Date
  /** A rotated token presented again less than this many ms later is a lost-response retry,
   * not reuse. 0 turns retries off. */
  reuseLeewayMs: number
}

export type RotationOutcome =
  /** The presented token was live (or a retry within the leeway): `next` is now the live token. */
  | {
      kind: 'rotated'
      session: SessionRecord
      retry: boolean
      expiresAt: Date
      /** The session's user as the rotation read it, when it did (PostgreSQL's one-statement
       * rotation does, to spare the caller a round trip); else the caller reads it. */
      user?: Pick<UserRecord, 'id' | 'role' | 'isActive'>
    }
  /** A rotated token came back after the leeway: the whole session is now revoked. */
  | { kind: 'reused'; session: SessionRecord }
  /** Unknown token, expired token, or a revoked or expired session. */
  | { kind: 'invalid' }

/** What rotation must do, decided from the locked rows (the same on both dialects). */
export type RotationDecision =
  | { action: 'invalid' }
  | { action: 'revoke_for_reuse' }
  | { action: 'rotate'; supersedeLiveTokens: boolean; expiresAt: Date }

export function decideRotation(
  token: RefreshTokenRecord | undefined,
  session: SessionRecord | undefined,
  input: RotateRefreshTokenInput,
): RotationDecision {
  const now = input.now.getTime()
  if (!token || !session) return { action: 'invalid' }
  if (!isSessionLive(session, input.now)) return { action: 'invalid' }
  const expiresAt = new Date(
    Math.min(new Date(input.next.expiresAt).getTime(), session.expiresAt.getTime()),
  )
  if (token.rotatedAt !== null) {
    // RFC 9700 §4.14.2: a rotated refresh token used again means it leaked, unless it is the
    // client retrying a refresh whose response it lost, moments ago.
    // `now` was read before this rotation waited for the row lock, so a concurrent rotation
    // can have stamped rotatedAt after it: that is no time at all, not a negative one (which
    // would pass even a leeway of 0 and let both concurrent refreshes win).
    const elapsed = Math.max(0, now - token.rotatedAt.getTime())
    if (elapsed < input.reuseLeewayMs) {
      return { action: 'rotate', supersedeLiveTokens: true, expiresAt }
    }
    return { action: 'revoke_for_reuse' }
  }
  if (token.expiresAt.getTime() <= now) return { action: 'invalid' }
  return { action: 'rotate', supersedeLiveTokens: false, expiresAt }
}

export interface RevokeOptions {
  now: Date
  /** Why, for the audit trail: logout, logout_all, password_change, refresh_token_reuse, admin… */
  reason: string
}

export interface SessionRepository {
  /** A new session with its first refresh token, in one transaction. */
  /** A session starts live, with one live refresh token. */
  create(session: NewSessionInput, firstToken: FirstRefreshToken): Promise<SessionRecord>
  findById(id: string): Promise<SessionRecord | undefined>
  /** The user's sessions neither revoked nor past their absolute expiry, newest first. */
  listActive(userId: string, now: Date): Promise<SessionRecord[]>
  /**
   * Rotates a refresh token atomically: concurrent rotations of one token are serialized by a
   * row lock (PostgreSQL) or the write lock (SQLite), so at most one wins outside the leeway.
   */
  rotate(input: RotateRefreshTokenInput): Promise<RotationOutcome>
  /** Revokes one session; false when it was already revoked or does not exist. */
  revoke(id: string, options: RevokeOptions): Promise<boolean>
  /** Revokes the session a refresh token belongs to; undefined when the token is unknown. */
  revokeByRefreshToken(
    tokenHash: string,
    options: RevokeOptions,
  ): Promise<SessionRecord | undefined>
  /** Revokes every live session of a user, except `exceptSessionId`; returns how many. */
  revokeAllForUser(
    userId: string,
    options: RevokeOptions & { exceptSessionId?: string },
  ): Promise<number>
}
