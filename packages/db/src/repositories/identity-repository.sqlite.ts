import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { IdentityRecord, NewIdentity } from '../records.js'
import * as schema from '../schema/sqlite.js'
import type { IdentityRepository } from './identity-repository.js'

const prepareForUser = (db: BetterSQLite3Database<typeof schema>) =>
  db
    .select()
    .from(schema.identities)
    .where(eq(schema.identities.userId, sql.placeholder('userId')))
    .orderBy(asc(schema.identities.createdAt))
    .prepare()

export class SqliteIdentityRepository implements IdentityRepository {
  constructor(private readonly db: BetterSQLite3Database<typeof schema>) {}

  /** Prepared on first use (the tables must exist), then reused: see user-repository.sqlite.ts. */
  private forUser?: ReturnType<typeof prepareForUser>

  async listForUser(userId: string): Promise<IdentityRecord[]> {
    this.forUser ??= prepareForUser(this.db)
    return this.forUser.all({ userId })
  }

  async listForUsers(userIds: readonly string[]): Promise<IdentityRecord[]> {
    if (userIds.length === 0) return []
    const { identities } = schema
    return this.db
      .select()
      .from(identities)
      .where(inArray(identities.userId, [...userIds]))
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

  async deleteAllForUser(userId: string): Promise<number> {
    return this.db.delete(schema.identities).where(eq(schema.identities.userId, userId)).run()
      .changes
  }

  async create(identity: NewIdentity): Promise<IdentityRecord> {
    return this.db.insert(schema.identities).values(identity).returning().get()
  }
}
