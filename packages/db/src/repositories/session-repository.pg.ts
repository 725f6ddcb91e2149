import { and, desc, eq, getTableColumns, isNull, ne } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { Sql } from 'postgres'
import type { SessionRecord } from '../records.js'
import * as schema from '../schema/pg.js'
import { liveSession } from './conditions.js'
import { appendRevocations } from './revocation-repository.pg.js'
import {
  decideRotation,
  type FirstRefreshToken,
  type NewSessionInput,
  type RevokeOptions,
  type RotateRefreshTokenInput,
  type RotationOutcome,
  type SessionRepository,
} from './session-repository.js'

const { sessions, refreshTokens } = schema

export class PgSessionRepository implements SessionRepository {
  constructor(private readonly db: PostgresJsDatabase<typeof schema> & { $client: Sql }) {}

  async create(session: NewSessionInput, firstToken: FirstRefreshToken): Promise<SessionRecord> {
    // One statement (atomic on its own): one round trip instead of four (BEGIN, two INSERTs,
    // COMMIT) at every sign-in.
    const [row] = await this.db.$client.unsafe<Record<string, unknown>[]>(
      CREATE_SESSION,
      [
        session.id,
        session.userId,
        iso(session.createdAt),
        iso(session.lastUsedAt),
        iso(session.expiresAt),
        session.userAgent ?? null,
        session.ip ?? null,
        session.amr ?? null,
        firstToken.id,
        firstToken.tokenHash,
        iso(firstToken.createdAt),
        iso(firstToken.expiresAt),
      ],
      { prepare: true },
    )
    if (!row) throw new Error('creating a session returned no row')
    return sessionFromRow(row)
  }

  async findById(id: string): Promise<SessionRecord | undefined> {
    const [row] = await this.db.select().from(sessions).where(eq(sessions.id, id))
    return row
  }

  listActive(userId: string, now: Date): Promise<SessionRecord[]> {
    return this.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.userId, userId), liveSession(sessions, now)))
      .orderBy(desc(sessions.createdAt), desc(sessions.id))
  }

  async rotate(input: RotateRefreshTokenInput): Promise<RotationOutcome> {
    // The common case, a live unrotated token of a live session, in one statement (one round
    // trip instead of seven). It rotates only when decideRotation would say a plain `rotate`;
    // anything else (unknown, expired, a retry, reuse) changes nothing and takes the
    // transaction below, which decides with the same rules as ever.
    const [row] = await this.db.$client.unsafe<Record<string, unknown>[]>(
      ROTATE_LIVE_TOKEN,
      [
        input.presentedHash,
        iso(input.now),
        iso(input.next.expiresAt),
        input.next.id,
        input.next.tokenHash,
        iso(input.next.createdAt),
      ],
      { prepare: true },
    )
    if (row) {
      return {
        kind: 'rotated',
        session: sessionFromRow(row),
        retry: false,
        expiresAt: sessions.expiresAt.mapFromDriverValue(row.next_expires_at as string) as Date,
        user: {
          id: row.user_id as string,
          role: row.holder_role as string,
          isActive: row.holder_is_active as boolean,
        },
      }
    }
    return this.rotateInTransaction(input)
  }

  /** Rotation as decided by decideRotation on the locked rows: every case, slower. */
  private rotateInTransaction(input: RotateRefreshTokenInput): Promise<RotationOutcome> {
    return this.db.transaction(async (tx) => {
      // Lock the token row: a concurrent rotation of the same token waits here, then sees
      // rotated_at set and is judged as a retry or as reuse.
      const [token] = await tx
        .select()
        .from(refreshTokens)
        .where(eq(refreshTokens.tokenHash, input.presentedHash))
        .for('update')
      // A rotated token (a retry or reuse) will touch its session's live token too: lock that
      // first, the order a rotation of the live token takes (its token, then the session).
      // Locking the session first would deadlock with the live token presented at the same
      // moment: each would hold what the other waits for.
      if (token?.rotatedAt != null) {
        await tx
          .select({ id: refreshTokens.id })
          .from(refreshTokens)
          .where(and(eq(refreshTokens.sessionId, token.sessionId), isNull(refreshTokens.rotatedAt)))
          .for('update')
      }
      const [session] = token
        ? await tx.select().from(sessions).where(eq(sessions.id, token.sessionId)).for('update')
        : []
      const decision = decideRotation(token, session, input)
      if (decision.action === 'invalid' || !token || !session) return { kind: 'invalid' }
      if (decision.action === 'revoke_for_reuse') {
        const [revoked] = await tx
          .update(sessions)
          .set({ revokedAt: input.now, revokedReason: 'refresh_token_reuse' })
          .where(eq(sessions.id, session.id))
          .returning()
        if (session.revokedAt === null) {
          await appendRevocations(tx, [ended(session.id, session.userId, input.now)])
        }
        return { kind: 'reused', session: revoked as SessionRecord }
      }
      const live = decision.supersedeLiveTokens
        ? and(eq(refreshTokens.sessionId, session.id), isNull(refreshTokens.rotatedAt))
        : eq(refreshTokens.id, token.id)
      await tx
        .update(refreshTokens)
        .set({ rotatedAt: input.now, replacedBy: input.next.id })
        .where(live)
      await tx
        .insert(refreshTokens)
        .values({ ...input.next, sessionId: session.id, expiresAt: decision.expiresAt })
      const [touched] = await tx
        .update(sessions)
        .set({ lastUsedAt: input.now })
        .where(eq(sessions.id, session.id))
        .returning()
      return {
        kind: 'rotated',
        session: touched as SessionRecord,
        retry: decision.supersedeLiveTokens,
        expiresAt: decision.expiresAt,
      }
    })
  }

  revoke(id: string, options: RevokeOptions): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const rows = await tx
        .update(sessions)
        .set({ revokedAt: options.now, revokedReason: options.reason })
        .where(and(eq(sessions.id, id), isNull(sessions.revokedAt)))
        .returning({ id: sessions.id, userId: sessions.userId })
      await appendRevocations(
        tx,
        rows.map((row) => ended(row.id, row.userId, options.now)),
      )
      return rows.length > 0
    })
  }

  async revokeByRefreshToken(
    tokenHash: string,
    options: RevokeOptions,
  ): Promise<SessionRecord | undefined> {
    const [token] = await this.db
      .select({ sessionId: refreshTokens.sessionId })
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, tokenHash))
    if (!token) return undefined
    await this.revoke(token.sessionId, options)
    return this.findById(token.sessionId)
  }

  revokeAllForUser(
    userId: string,
    options: RevokeOptions & { exceptSessionId?: string },
  ): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await tx
        .update(sessions)
        .set({ revokedAt: options.now, revokedReason: options.reason })
        .where(
          and(
            eq(sessions.userId, userId),
            isNull(sessions.revokedAt),
            options.exceptSessionId ? ne(sessions.id, options.exceptSessionId) : undefined,
          ),
        )
        .returning({ id: sessions.id })
      await appendRevocations(
        tx,
        rows.map((row) => ended(row.id, userId, options.now)),
      )
      return rows.length
    })
  }
}

/**
 * One rotation of a live token, when decideRotation would rotate it without a retry: the
 * token unrotated and before its idle expiry, its session neither revoked nor past its
 * absolute expiry. The token row is locked first, then its session, as in the transaction; a
 * concurrent rotation that wins the token's lock first leaves it rotated, so this statement's
 * re-check of the locked row (READ COMMITTED re-evaluates the WHERE on the new version) finds
 * nothing and the caller falls back to the transaction, which judges retry or reuse.
 * Returns the touched session, the next token's expiry (capped at the session's) and the
 * holder's role and is_active (what the access token needs: no second read of the user).
 * $1 presented hash, $2 now, $3 next token's expiry, $4 next id, $5 next hash, $6 next created.
 */
const ROTATE_LIVE_TOKEN = `
with live_token as (
  select id, session_id from refresh_tokens
  where token_hash = $1 and rotated_at is null and expires_at > $2::timestamptz
  for update
), live_session as (
  select s.id, least($3::timestamptz, s.expires_at) as next_expires_at
  from sessions s join live_token t on s.id = t.session_id
  where s.revoked_at is null and s.expires_at > $2::timestamptz
  for update of s
), spent as (
  update refresh_tokens set rotated_at = $2::timestamptz, replaced_by = $4
  where id = (select t.id from live_token t join live_session on true)
  returning id
), issued as (
  insert into refresh_tokens (id, session_id, token_hash, created_at, expires_at)
  select $4, id, $5, $6::timestamptz, next_expires_at from live_session
  returning id
), touched as (
  update sessions set last_used_at = $2::timestamptz
  where id = (select id from live_session)
  returning *
)
select touched.*, live_session.next_expires_at, u.role as holder_role,
  u.is_active as holder_is_active
from touched
join live_session on true
join users u on u.id = touched.user_id
`

/**
 * A session and its first refresh token. Every column the inserts take is listed (the others
 * start null): statements-round-trip.test.ts fails if a column the schema gains is left out.
 * $1..$8 the session, $9..$12 the token.
 */
const CREATE_SESSION = `
with created as (
  insert into sessions (id, user_id, created_at, last_used_at, expires_at, user_agent, ip, amr)
  values ($1, $2, $3::timestamptz, $4::timestamptz, $5::timestamptz, $6, $7, $8)
  returning *
), first_token as (
  insert into refresh_tokens (id, session_id, token_hash, created_at, expires_at)
  select $9, id, $10, $11::timestamptz, $12::timestamptz from created
)
select * from created
`

/** A timestamp parameter as text (the driver's Date serializer is drizzle's pass-through). */
const iso = (at: Date | string) => new Date(at).toISOString()

const sessionColumns = Object.entries(getTableColumns(sessions))

/** A sessions row as the driver returned it (snake_case, timestamps as text), mapped. */
function sessionFromRow(row: Record<string, unknown>): SessionRecord {
  const record: Record<string, unknown> = {}
  for (const [key, column] of sessionColumns) {
    const value = row[column.name]
    record[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value)
  }
  return record as SessionRecord
}

/** The feed's row for a session that just ended. */
function ended(sessionId: string, userId: string, at: Date) {
  return { kind: 'session' as const, subjectId: sessionId, userId, revokedAt: at }
}
