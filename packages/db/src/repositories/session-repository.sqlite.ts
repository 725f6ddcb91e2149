import { and, desc, eq, isNull, ne, sql } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { SessionRecord } from '../records.js'
import * as schema from '../schema/sqlite.js'
import { liveSession } from './conditions.js'
import { appendRevocations } from './revocation-repository.sqlite.js'
import {
  decideRotation,
  type FirstRefreshToken,
  type NewSessionInput,
  type RevokeOptions,
  type RotateRefreshTokenInput,
  type RotationOutcome,
  type SessionRepository,
} from './session-repository.js'
import { preparedInsert } from './sqlite-insert.js'

const { sessions, refreshTokens } = schema
const p = sql.placeholder

/** The statements of sign-in and rotation (POST /auth/login, /auth/token/refresh). */
const prepareRotation = (db: BetterSQLite3Database<typeof schema>) => ({
  tokenByHash: db
    .select()
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, p('hash')))
    .prepare(),
  sessionById: db
    .select()
    .from(sessions)
    .where(eq(sessions.id, p('id')))
    .prepare(),
  markRotated: db
    .update(refreshTokens)
    // set() has no placeholder type: the values go in as SQL, the time as epoch ms (the column's
    // storage), which insert and where convert from a Date themselves.
    .set({ rotatedAt: sql`${p('nowMs')}`, replacedBy: sql`${p('replacedBy')}` })
    .where(eq(refreshTokens.id, p('id')))
    .prepare(),
  insertToken: preparedInsert(db, refreshTokens),
  insertSession: preparedInsert(db, sessions),
  touchSession: db
    .update(sessions)
    .set({ lastUsedAt: sql`${p('nowMs')}` })
    .where(eq(sessions.id, p('id')))
    .returning()
    .prepare(),
})

/**
 * better-sqlite3 transactions are synchronous (drizzle-orm issues 1472, 2275): the callbacks
 * below never await, so nothing else runs on this connection in between. `immediate` takes the
 * write lock at BEGIN, so a second process rotating the same token waits (busy_timeout) and then
 * reads the committed result.
 */
export class SqliteSessionRepository implements SessionRepository {
  constructor(private readonly db: BetterSQLite3Database<typeof schema>) {}

  // Prepared once, on first use (the tables must exist by then): building and preparing each
  // statement per call was most of a refresh's CPU time in a profile.
  private prepared?: ReturnType<typeof prepareRotation>
  private get statements() {
    this.prepared ??= prepareRotation(this.db)
    return this.prepared
  }

  async create(session: NewSessionInput, firstToken: FirstRefreshToken): Promise<SessionRecord> {
    const statements = this.statements
    return this.db.transaction(
      () => {
        const created = statements.insertSession.get(session)
        statements.insertToken.run({ ...firstToken, sessionId: created.id })
        return created
      },
      { behavior: 'immediate' },
    )
  }

  async findById(id: string): Promise<SessionRecord | undefined> {
    return this.statements.sessionById.get({ id })
  }

  async listActive(userId: string, now: Date): Promise<SessionRecord[]> {
    return this.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.userId, userId), liveSession(sessions, now)))
      .orderBy(desc(sessions.createdAt), desc(sessions.id))
      .all()
  }

  async rotate(input: RotateRefreshTokenInput): Promise<RotationOutcome> {
    // The prepared statements run on the same connection, so they are inside the transaction.
    const statements = this.statements
    return this.db.transaction(
      (tx): RotationOutcome => {
        const token = statements.tokenByHash.get({ hash: input.presentedHash })
        const session = token ? statements.sessionById.get({ id: token.sessionId }) : undefined
        const decision = decideRotation(token, session, input)
        if (decision.action === 'invalid' || !token || !session) return { kind: 'invalid' }
        if (decision.action === 'revoke_for_reuse') {
          const revoked = tx
            .update(sessions)
            .set({ revokedAt: input.now, revokedReason: 'refresh_token_reuse' })
            .where(eq(sessions.id, session.id))
            .returning()
            .get()
          if (session.revokedAt === null) {
            appendRevocations(tx, [ended(session.id, session.userId, input.now)])
          }
          return { kind: 'reused', session: revoked }
        }
        if (decision.supersedeLiveTokens) {
          tx.update(refreshTokens)
            .set({ rotatedAt: input.now, replacedBy: input.next.id })
            .where(and(eq(refreshTokens.sessionId, session.id), isNull(refreshTokens.rotatedAt)))
            .run()
        } else {
          statements.markRotated.run({
            id: token.id,
            nowMs: input.now.getTime(),
            replacedBy: input.next.id,
          })
        }
        statements.insertToken.run({
          id: input.next.id,
          sessionId: session.id,
          tokenHash: input.next.tokenHash,
          createdAt: input.next.createdAt,
          expiresAt: decision.expiresAt,
        })
        const touched = statements.touchSession.get({ id: session.id, nowMs: input.now.getTime() })
        if (!touched) throw new Error('session vanished inside its own rotation')
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
    return this.db.transaction((tx) => {
      const rows = tx
        .update(sessions)
        .set({ revokedAt: options.now, revokedReason: options.reason })
        .where(and(eq(sessions.id, id), isNull(sessions.revokedAt)))
        .returning({ id: sessions.id, userId: sessions.userId })
        .all()
      appendRevocations(
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
    return this.db.transaction((tx) => {
      const rows = tx
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
        .all()
      appendRevocations(
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
