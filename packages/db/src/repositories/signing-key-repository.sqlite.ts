import { asc, desc, gt, isNull, or, sql } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { NewSigningKey, SigningKeyRecord } from '../records.js'
import * as schema from '../schema/sqlite.js'
import { keysSigningOrScheduled, keysWaiting } from './conditions.js'
import type { SigningKeyRepository } from './signing-key-repository.js'

const keys = schema.signingKeys

export class SqliteSigningKeyRepository implements SigningKeyRepository {
  constructor(private readonly db: BetterSQLite3Database<typeof schema>) {}

  async insert(key: NewSigningKey): Promise<SigningKeyRecord> {
    return this.db.insert(keys).values(key).returning().get()
  }

  async list(): Promise<SigningKeyRecord[]> {
    return this.db.select().from(keys).orderBy(desc(keys.createdAt)).all()
  }

  async listPublished(now: Date): Promise<SigningKeyRecord[]> {
    return this.db
      .select()
      .from(keys)
      .where(or(isNull(keys.publishedUntil), gt(keys.publishedUntil, now)))
      .orderBy(asc(keys.activatesAt), asc(keys.kid))
      .all()
  }

  async retireOthers(
    keepKid: string,
    plan: { now: Date; retiredAt: Date; publishedUntil: Date },
  ): Promise<SigningKeyRecord[]> {
    // Synchronous callback: see session-repository.sqlite.ts.
    return this.db.transaction(
      (tx) => {
        const signing = tx
          .update(keys)
          .set({ retiredAt: plan.retiredAt, publishedUntil: plan.publishedUntil })
          .where(keysSigningOrScheduled(keys, keepKid, plan.now))
          .returning()
          .all()
        const superseded = tx
          .update(keys)
          .set({ retiredAt: sql`${keys.activatesAt}`, publishedUntil: plan.now })
          .where(keysWaiting(keys, keepKid, plan.now))
          .returning()
          .all()
        return [...signing, ...superseded]
      },
      { behavior: 'immediate' },
    )
  }
}
