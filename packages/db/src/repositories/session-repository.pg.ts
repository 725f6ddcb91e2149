import { and, desc, eq, isNull, ne } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
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
  constructor(private readonly db: PostgresJsDatabase<typeof schema>) {}

  create(session: NewSessionInput, firstToken: FirstRefreshToken): Promise<SessionRecord> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.insert(sessions).values(session).returning()
      const created = row as SessionRecord
      await tx.insert(refreshTokens).values({ ...firstToken, sessionId: created.id })
      return created
    })
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

  rotate(input: RotateRefreshTokenInput): Promise<RotationOutcome> {
    return this.db.transaction(async (tx) => {
      // Lock the token row: a concurrent rotation of the same token waits here, then sees
      // rotated_at set and is judged as a retry or as reuse.
      const [token] = await tx
        .select()
        .from(refreshTokens)
        .where(eq(refreshTokens.tokenHash, input.presentedHash))
        .for('update')
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

/** The feed's row for a session that just ended. */
function ended(sessionId: string, userId: string, at: Date) {
  return { kind: 'session' as const, subjectId: sessionId, userId, revokedAt: at }
}
