import { and, eq, isNull, sql } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { NewEmailOutbox, NewOneTimeToken, OneTimeTokenRecord } from '../records.js'
import * as schema from '../schema/sqlite.js'
import { activeToken, unusedTokensOf } from './conditions.js'
import { prepareMailInsert } from './email-outbox-repository.sqlite.js'
import type { OneTimePurpose, OneTimeTokenRepository } from './one-time-token-repository.js'
import { preparedInsert } from './sqlite-insert.js'

const { oneTimeTokens } = schema
const p = sql.placeholder

/** The statements of issuing a token with its mail (registration, reset, OAuth sign-in). */
const prepareIssue = (db: BetterSQLite3Database<typeof schema>) => ({
  voidEarlier: db
    .update(oneTimeTokens)
    // set() has no placeholder type: the time goes in as epoch ms, the column's storage.
    .set({ usedAt: sql`${p('nowMs')}` })
    .where(
      and(
        eq(oneTimeTokens.userId, p('userId')),
        eq(oneTimeTokens.purpose, p('purpose')),
        isNull(oneTimeTokens.usedAt),
      ),
    )
    .prepare(),
  insertToken: preparedInsert(db, oneTimeTokens),
  insertMail: prepareMailInsert(db),
})

/** Synchronous transaction callbacks: see session-repository.sqlite.ts. */
export class SqliteOneTimeTokenRepository implements OneTimeTokenRepository {
  constructor(private readonly db: BetterSQLite3Database<typeof schema>) {}

  // Prepared once, on first use (the tables must exist by then).
  private prepared?: ReturnType<typeof prepareIssue>

  async issue(token: NewOneTimeToken, mail?: NewEmailOutbox): Promise<OneTimeTokenRecord> {
    this.prepared ??= prepareIssue(this.db)
    const statements = this.prepared
    return this.db.transaction(
      () => {
        statements.voidEarlier.run({
          nowMs: token.createdAt.getTime(),
          userId: token.userId,
          purpose: token.purpose,
        })
        const row = statements.insertToken.get(token)
        if (mail) statements.insertMail(mail)
        return row
      },
      { behavior: 'immediate' },
    )
  }

  async findActive(
    tokenHash: string,
    purpose: OneTimePurpose,
    now: Date,
  ): Promise<OneTimeTokenRecord | undefined> {
    return this.db
      .select()
      .from(oneTimeTokens)
      .where(activeToken(oneTimeTokens, tokenHash, purpose, now))
      .get()
  }

  async voidForUser(
    userId: string,
    purposes: readonly OneTimePurpose[],
    now: Date,
  ): Promise<number> {
    if (purposes.length === 0) return 0
    return this.db
      .update(oneTimeTokens)
      .set({ usedAt: now })
      .where(unusedTokensOf(oneTimeTokens, userId, purposes))
      .run().changes
  }

  async consume(
    tokenHash: string,
    purpose: OneTimePurpose,
    now: Date,
  ): Promise<OneTimeTokenRecord | undefined> {
    return this.db
      .update(oneTimeTokens)
      .set({ usedAt: now })
      .where(activeToken(oneTimeTokens, tokenHash, purpose, now))
      .returning()
      .get()
  }

  async recordFailure(
    tokenHash: string,
    purpose: OneTimePurpose,
    now: Date,
    maxFailures: number,
  ): Promise<number | undefined> {
    const row = this.db
      .update(oneTimeTokens)
      .set({
        failures: sql`${oneTimeTokens.failures} + 1`,
        // The token is active (unused) here, so "else" keeps used_at null; epoch ms is the storage.
        usedAt: sql`case when ${oneTimeTokens.failures} + 1 >= ${maxFailures} then ${now.getTime()} else null end`,
      })
      .where(activeToken(oneTimeTokens, tokenHash, purpose, now))
      .returning({ failures: oneTimeTokens.failures })
      .get()
    return row?.failures
  }
}
