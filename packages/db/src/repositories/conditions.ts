/**
 * WHERE clauses both dialects' repositories share. The pg and sqlite tables are different
 * objects with the same columns (schema/parity.ts proves it), so a clause is written once over
 * the columns and each implementation passes its own table.
 */
import {
  and,
  type Column,
  eq,
  gt,
  gte,
  inArray,
  isNull,
  lt,
  lte,
  ne,
  or,
  type SQL,
  sql,
} from 'drizzle-orm'
import type { AuditEventListQuery } from './audit-event-repository.js'
import type { OneTimePurpose } from './one-time-token-repository.js'
import { likePrefix, type UserListQuery } from './user-repository.js'

/** A one-time token that is unused, unexpired and of this purpose. */
export function activeToken(
  t: { tokenHash: Column; purpose: Column; usedAt: Column; expiresAt: Column },
  tokenHash: string,
  purpose: OneTimePurpose,
  now: Date,
): SQL | undefined {
  return and(
    eq(t.tokenHash, tokenHash),
    eq(t.purpose, purpose),
    isNull(t.usedAt),
    gt(t.expiresAt, now),
  )
}

/** A live session in SQL: isSessionLive (session-liveness.ts) as a WHERE clause. */
export function liveSession(
  s: { revokedAt: Column; expiresAt: Column },
  now: Date,
): SQL | undefined {
  return and(isNull(s.revokedAt), gt(s.expiresAt, now))
}

/** The user's unused tokens of these purposes (a password change voids its reset links). */
export function unusedTokensOf(
  t: { userId: Column; purpose: Column; usedAt: Column },
  userId: string,
  purposes: readonly OneTimePurpose[],
): SQL | undefined {
  return and(eq(t.userId, userId), inArray(t.purpose, [...purposes]), isNull(t.usedAt))
}

type KeyColumns = { kid: Column; activatesAt: Column; retiredAt: Column }

/** Keys other than `keepKid` that sign at `now`, or will until a retirement not yet reached. */
export function keysSigningOrScheduled(k: KeyColumns, keepKid: string, now: Date): SQL | undefined {
  return and(
    ne(k.kid, keepKid),
    lte(k.activatesAt, now),
    or(isNull(k.retiredAt), gt(k.retiredAt, now)),
  )
}

/** Keys other than `keepKid` not yet active at `now`, and not already superseded. */
export function keysWaiting(k: KeyColumns, keepKid: string, now: Date): SQL | undefined {
  return and(ne(k.kid, keepKid), gt(k.activatesAt, now), isNull(k.retiredAt))
}

/** Mail that is unsent, due, and not leased by another worker. */
export function dueMail(
  m: { sentAt: Column; nextAttemptAt: Column; lockedUntil: Column },
  now: Date,
): SQL | undefined {
  return and(
    isNull(m.sentAt),
    lte(m.nextAttemptAt, now),
    or(isNull(m.lockedUntil), lte(m.lockedUntil, now)),
  )
}

/**
 * Unsent mail created before `createdBefore` that no worker holds a lease on at `now`: a mail
 * being sent at this moment is never deleted under its sender.
 */
export function abandonedMail(
  m: { sentAt: Column; createdAt: Column; lockedUntil: Column },
  createdBefore: Date,
  now: Date,
): SQL | undefined {
  return and(
    isNull(m.sentAt),
    lt(m.createdAt, createdBefore),
    or(isNull(m.lockedUntil), lte(m.lockedUntil, now)),
  )
}

/** The filters of a user listing (LIKE wildcards in the prefix are literal). */
export function userListFilter(
  u: { id: Column; email: Column; role: Column; isActive: Column },
  query: UserListQuery,
): SQL | undefined {
  return and(
    query.afterId ? gt(u.id, query.afterId) : undefined,
    query.emailPrefix
      ? sql`${u.email} like ${likePrefix(query.emailPrefix)} escape '\\'`
      : undefined,
    query.role ? eq(u.role, query.role) : undefined,
    query.isActive === undefined ? undefined : eq(u.isActive, query.isActive),
  )
}

/**
 * The filters of an audit listing, and its keyset position: rows after `query.after` in the
 * order created_at desc, id desc, i.e. an earlier time, or the same time and a smaller id.
 */
export function auditListFilter(
  e: { id: Column; type: Column; userId: Column; createdAt: Column },
  query: AuditEventListQuery,
): SQL | undefined {
  const { after } = query
  return and(
    query.userId ? eq(e.userId, query.userId) : undefined,
    query.types && query.types.length > 0 ? inArray(e.type, [...query.types]) : undefined,
    query.since ? gte(e.createdAt, query.since) : undefined,
    query.until ? lt(e.createdAt, query.until) : undefined,
    after
      ? or(
          lt(e.createdAt, after.createdAt),
          and(eq(e.createdAt, after.createdAt), lt(e.id, after.id)),
        )
      : undefined,
  )
}
