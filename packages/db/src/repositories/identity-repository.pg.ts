import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { IdentityRecord, NewIdentity } from '../records.js'
import * as schema from '../schema/pg.js'
import type { IdentityRepository } from './identity-repository.js'

export class PgIdentityRepository implements IdentityRepository {
  private readonly forUser

  constructor(private readonly db: PostgresJsDatabase<typeof schema>) {
    const { identities } = schema
    this.forUser = db
      .select()
      .from(identities)
      .where(eq(identities.userId, sql.placeholder('userId')))
      .orderBy(asc(identities.createdAt))
      .prepare('identities_for_user')
  }

  listForUser(userId: string): Promise<IdentityRecord[]> {
    return this.forUser.execute({ userId })
  }

  async listForUsers(userIds: readonly string[]): Promise<IdentityRecord[]> {
    if (userIds.length === 0) return []
    const { identities } = schema
    return this.db
      .select()
      .from(identities)
      .where(inArray(identities.userId, [...userIds]))
  }

  async findByProviderUser(
    provider: string,
    providerUserId: string,
  ): Promise<IdentityRecord | undefined> {
    const { identities } = schema
    const [row] = await this.db
      .select()
      .from(identities)
      .where(and(eq(identities.provider, provider), eq(identities.providerUserId, providerUserId)))
    return row
  }

  async delete(userId: string, provider: string): Promise<boolean> {
    const { identities } = schema
    const rows = await this.db
      .delete(identities)
      .where(and(eq(identities.userId, userId), eq(identities.provider, provider)))
      .returning({ id: identities.id })
    return rows.length > 0
  }

  async deleteAllForUser(userId: string): Promise<number> {
    const { identities } = schema
    const rows = await this.db
      .delete(identities)
      .where(eq(identities.userId, userId))
      .returning({ id: identities.id })
    return rows.length
  }

  async create(identity: NewIdentity): Promise<IdentityRecord> {
    const [row] = await this.db.insert(schema.identities).values(identity).returning()
    return row as IdentityRecord
  }
}
