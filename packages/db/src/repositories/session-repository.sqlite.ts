import { and, desc, eq, gt, isNull, ne } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { NewRefreshToken, NewSession, SessionRecord } from '../records.js'
import * as schema from '../schema/sqlite.js'
import {
  decideRotation,
  type RevokeOptions,
  type RotateRefreshTokenInput,
  type RotationOutcome,
  type SessionRepository,
} from './session-repository.js'

const { sessions, refreshTokens } = schema

/**
 * better-sqlite3 transactions are synchronous (drizzle-orm issues 1472, 2275): the callbacks
 * below never await, so nothing else runs on this connection in between. `immediate` takes the
 * write lock at BEGIN, so a second process rotating the same token waits (busy_timeout) and then
 * reads the committed result.
 */
export class SqliteSessionRepository implements SessionRepository {
  constructor(private readonly db: BetterSQLite3Database<typeof schema>) {}

  async create(
    session: NewSession,
    firstToken: Omit<NewRefreshToken, 'sessionId'>,
  ): Promise<SessionRecord> {
    return this.db.transaction(
      (tx) => {
        const created = tx.insert(sessions).values(session).returning().get()
        tx.insert(refreshTokens)
          .values({ ...firstToken, sessionId: created.id })
          .run()
        return created
      },
      { behavior: 'immediate' },
    )
  }

  async findById(id: string): Promise<SessionRecord | undefined> {
    return this.db.select().from(sessions).where(eq(sessions.id, id)).get()
  }

  async listActive(userId: string, now: Date): Promise<SessionRecord[]> {
    return this.db
      .select()
      .from(sessions)
      .where(
        and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)),
      )
      .orderBy(desc(sessions.createdAt), desc(sessions.id))
      .all()
  }

  async rotate(input: RotateRefreshTokenInput): Promise<RotationOutcome> {
    return this.db.transaction(
      (tx): RotationOutcome => {
        const token = tx
          .select()
          .from(refreshTokens)
          .where(eq(refreshTokens.tokenHash, input.presentedHash))
          .get()
        const session = token
          ? tx.select().from(sessions).where(eq(sessions.id, token.sessionId)).get()
          : undefined
        const decision = decideRotation(token, session, input)
        if (decision.action === 'invalid' || !token || !session) return { kind: 'invalid' }
        if (decision.action === 'revoke_for_reuse') {
          const revoked = tx
            .update(sessions)
            .set({ revokedAt: input.now, revokedReason: 'refresh_token_reuse' })
            .where(eq(sessions.id, session.id))
            .returning()
            .get()
          return { kind: 'reused', session: revoked }
        }
        const live = decision.supersedeLiveTokens
          ? and(eq(refreshTokens.sessionId, session.id), isNull(refreshTokens.rotatedAt))
          : eq(refreshTokens.id, token.id)
        tx.update(refreshTokens)
          .set({ rotatedAt: input.now, replacedBy: input.next.id })
          .where(live)
          .run()
        tx.insert(refreshTokens)
          .values({ ...input.next, sessionId: session.id, expiresAt: decision.expiresAt })
          .run()
        const touched = tx
          .update(sessions)
          .set({ lastUsedAt: input.now })
          .where(eq(sessions.id, session.id))
          .returning()
          .get()
        return {
          kind: 'rotated',
          session: touched,
          retry: decision.supersedeLiveTokens,
          expiresAt: decision.expiresAt,
        }
      },
      { behavior: 'immediate' },
    )
  }

  async revoke(id: string, options: RevokeOptions): Promise<boolean> {
    const result = this.db
      .update(sessions)
      .set({ revokedAt: options.now, revokedReason: options.reason })
      .where(and(eq(sessions.id, id), isNull(sessions.revokedAt)))
      .run()
    return result.changes > 0
  }

  async revokeByRefreshToken(
    tokenHash: string,
    options: RevokeOptions,
  ): Promise<SessionRecord | undefined> {
    const token = this.db
      .select({ sessionId: refreshTokens.sessionId })
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, tokenHash))
      .get()
    if (!token) return undefined
    await this.revoke(token.sessionId, options)
    return this.findById(token.sessionId)
  }

  async revokeAllForUser(
    userId: string,
    options: RevokeOptions & { exceptSessionId?: string },
  ): Promise<number> {
    const result = this.db
      .update(sessions)
      .set({ revokedAt: options.now, revokedReason: options.reason })
      .where(
        and(
          eq(sessions.userId, userId),
          isNull(sessions.revokedAt),
          options.exceptSessionId ? ne(sessions.id, options.exceptSessionId) : undefined,
        ),
      )
      .run()
    return result.changes
  }
}
