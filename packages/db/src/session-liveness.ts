import type { SessionRecord } from './records.js'

/**
 * Whether a session is live at `now`: not revoked, and before its absolute expiry. The one
 * definition: refresh rotation (decideRotation) and the account rules (@authpair/accounts,
 * which adds the owner check for bearer tokens) call it; its SQL twin for queries is
 * `liveSession` in repositories/conditions.ts.
 */
export function isSessionLive(
  session: Pick<SessionRecord, 'revokedAt' | 'expiresAt'>,
  now: Date,
): boolean {
  return session.revokedAt === null && session.expiresAt.getTime() > now.getTime()
}
