import { and, asc, desc, gt, isNull, ne, or } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { NewSigningKey, SigningKeyRecord } from '../records.js'
import * as schema from '../schema/pg.js'
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
    retiredAt: Date,
    publishedUntil: Date,
  ): Promise<SigningKeyRecord[]> {
    return this.db
      .update(keys)
      .set({ retiredAt, publishedUntil })
      .where(and(ne(keys.kid, keepKid), isNull(keys.retiredAt)))
      .returning()
  }
}
