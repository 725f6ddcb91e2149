import { and, eq, isNull } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { NewEmailOutbox, NewOneTimeToken, OneTimeTokenRecord } from '../records.js'
import * as schema from '../schema/sqlite.js'
import { activeToken } from './conditions.js'
import type { OneTimePurpose, OneTimeTokenRepository } from './one-time-token-repository.js'

const { oneTimeTokens, emailOutbox } = schema

/** Synchronous transaction callbacks: see session-repository.sqlite.ts. */
export class SqliteOneTimeTokenRepository implements OneTimeTokenRepository {
  constructor(private readonly db: BetterSQLite3Database<typeof schema>) {}

  async issue(token: NewOneTimeToken, mail?: NewEmailOutbox): Promise<OneTimeTokenRecord> {
    return this.db.transaction(
      (tx) => {
        tx.update(oneTimeTokens)
          .set({ usedAt: token.createdAt })
          .where(
            and(
              eq(oneTimeTokens.userId, token.userId),
              eq(oneTimeTokens.purpose, token.purpose),
              isNull(oneTimeTokens.usedAt),
            ),
          )
          .run()
        const row = tx.insert(oneTimeTokens).values(token).returning().get()
        if (mail) tx.insert(emailOutbox).values(mail).run()
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
}
