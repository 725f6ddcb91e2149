/**
 * WHERE clauses both dialects' repositories share. The pg and sqlite tables are different
 * objects with the same columns (schema/parity.ts proves it), so a clause is written once over
 * the columns and each implementation passes its own table.
 */
import { and, type Column, eq, gt, isNull, lt, lte, or, type SQL, sql } from 'drizzle-orm'
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
