import { and, asc, desc, gt, isNull, ne, or } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { NewSigningKey, SigningKeyRecord } from '../records.js'
import * as schema from '../schema/sqlite.js'
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
    retiredAt: Date,
    publishedUntil: Date,
  ): Promise<SigningKeyRecord[]> {
    return this.db
      .update(keys)
      .set({ retiredAt, publishedUntil })
      .where(and(ne(keys.kid, keepKid), isNull(keys.retiredAt)))
      .returning()
      .all()
  }
}
