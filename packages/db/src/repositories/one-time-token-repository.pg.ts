import { and, eq, isNull, sql } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { NewEmailOutbox, NewOneTimeToken, OneTimeTokenRecord } from '../records.js'
import * as schema from '../schema/pg.js'
import { activeToken, unusedTokensOf } from './conditions.js'
import type { OneTimePurpose, OneTimeTokenRepository } from './one-time-token-repository.js'

const { oneTimeTokens, emailOutbox } = schema

export class PgOneTimeTokenRepository implements OneTimeTokenRepository {
  constructor(private readonly db: PostgresJsDatabase<typeof schema>) {}

  issue(token: NewOneTimeToken, mail?: NewEmailOutbox): Promise<OneTimeTokenRecord> {
    return this.db.transaction(async (tx) => {
      await tx
        .update(oneTimeTokens)
        .set({ usedAt: token.createdAt })
        .where(
          and(
            eq(oneTimeTokens.userId, token.userId),
            eq(oneTimeTokens.purpose, token.purpose),
            isNull(oneTimeTokens.usedAt),
          ),
        )
      const [row] = await tx.insert(oneTimeTokens).values(token).returning()
      if (mail) await tx.insert(emailOutbox).values(mail)
      return row as OneTimeTokenRecord
    })
  }

  async findActive(
    tokenHash: string,
    purpose: OneTimePurpose,
    now: Date,
  ): Promise<OneTimeTokenRecord | undefined> {
    const [row] = await this.db
      .select()
      .from(oneTimeTokens)
      .where(activeToken(oneTimeTokens, tokenHash, purpose, now))
    return row
  }

  async voidForUser(
    userId: string,
    purposes: readonly OneTimePurpose[],
    now: Date,
  ): Promise<number> {
    if (purposes.length === 0) return 0
    const rows = await this.db
      .update(oneTimeTokens)
      .set({ usedAt: now })
      .where(unusedTokensOf(oneTimeTokens, userId, purposes))
      .returning({ id: oneTimeTokens.id })
    return rows.length
  }

  async consume(
    tokenHash: string,
    purpose: OneTimePurpose,
    now: Date,
  ): Promise<OneTimeTokenRecord | undefined> {
    const [row] = await this.db
      .update(oneTimeTokens)
      .set({ usedAt: now })
      .where(activeToken(oneTimeTokens, tokenHash, purpose, now))
      .returning()
    return row
  }

  async recordFailure(
    tokenHash: string,
    purpose: OneTimePurpose,
    now: Date,
    maxFailures: number,
  ): Promise<number | undefined> {
    const [row] = await this.db
      .update(oneTimeTokens)
      .set({
        failures: sql`${oneTimeTokens.failures} + 1`,
        // The token is active (unused) here, so "else" keeps used_at null.
        usedAt: sql`case when ${oneTimeTokens.failures} + 1 >= ${maxFailures} then ${now.toISOString()}::timestamptz else null end`,
      })
      .where(activeToken(oneTimeTokens, tokenHash, purpose, now))
      .returning({ failures: oneTimeTokens.failures })
    return row?.failures
  }
}
