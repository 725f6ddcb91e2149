import { asc, desc, gt, isNull, or } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { NewSigningKey, SigningKeyRecord } from '../records.js'
import * as schema from '../schema/pg.js'
import { keysSigningOrScheduled, keysWaiting } from './conditions.js'
import type { SigningKeyRepository } from './signing-key-repository.js'

const keys = schema.signingKeys

export class PgSigningKeyRepository implements SigningKeyRepository {
  constructor(private readonly db: PostgresJsDatabase<typeof schema>) {}

  async insert(key: NewSigningKey): Promise<SigningKeyRecord> {
    const [row] = await this.db.insert(keys).values(key).returning()
    return row as SigningKeyRecord
  }

  list(): Promise<SigningKeyRecord[]> {
    return this.db.select().from(keys).orderBy(desc(keys.createdAt))
  }

  listPublished(now: Date): Promise<SigningKeyRecord[]> {
    return this.db
      .select()
      .from(keys)
      .where(or(isNull(keys.publishedUntil), gt(keys.publishedUntil, now)))
      .orderBy(asc(keys.activatesAt), asc(keys.kid))
  }

  retireOthers(
    keepKid: string,
    plan: { now: Date; retiredAt: Date; publishedUntil: Date },
  ): Promise<SigningKeyRecord[]> {
    return this.db.transaction(async (tx) => {
      const signing = await tx
        .update(keys)
        .set({ retiredAt: plan.retiredAt, publishedUntil: plan.publishedUntil })
        .where(keysSigningOrScheduled(keys, keepKid, plan.now))
        .returning()
      const superseded = await tx
        .update(keys)
        .set({ retiredAt: keys.activatesAt, publishedUntil: plan.now })
        .where(keysWaiting(keys, keepKid, plan.now))
        .returning()
      return [...signing, ...superseded]
    })
  }
}
