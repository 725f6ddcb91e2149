import { and, asc, eq } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { IdentityRecord, NewIdentity } from '../records.js'
import * as schema from '../schema/sqlite.js'
import type { IdentityRepository } from './identity-repository.js'

export class SqliteIdentityRepository implements IdentityRepository {
  constructor(private readonly db: BetterSQLite3Database<typeof schema>) {}

  async listForUser(userId: string): Promise<IdentityRecord[]> {
    const { identities } = schema
    return this.db
      .select()
      .from(identities)
      .where(eq(identities.userId, userId))
      .orderBy(asc(identities.createdAt))
      .all()
  }

  async findByProviderUser(
    provider: string,
    providerUserId: string,
  ): Promise<IdentityRecord | undefined> {
    const { identities } = schema
    return this.db
      .select()
      .from(identities)
      .where(and(eq(identities.provider, provider), eq(identities.providerUserId, providerUserId)))
      .get()
  }

  async delete(userId: string, provider: string): Promise<boolean> {
    const { identities } = schema
    const result = this.db
      .delete(identities)
      .where(and(eq(identities.userId, userId), eq(identities.provider, provider)))
      .run()
    return result.changes > 0
  }

  async create(identity: NewIdentity): Promise<IdentityRecord> {
    return this.db.insert(schema.identities).values(identity).returning().get()
  }
}
