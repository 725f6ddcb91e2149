import { and, asc, eq, gt, isNull, lt, or } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { ClientRecord, NewClient } from '../records.js'
import * as schema from '../schema/pg.js'
import type { ClientPatch, ClientRepository } from './client-repository.js'

const { clients } = schema

export class PgClientRepository implements ClientRepository {
  constructor(private readonly db: PostgresJsDatabase<typeof schema>) {}

  async create(client: NewClient): Promise<ClientRecord> {
    const [row] = await this.db.insert(clients).values(client).returning()
    return row as ClientRecord
  }

  async findById(id: string): Promise<ClientRecord | undefined> {
    const [row] = await this.db.select().from(clients).where(eq(clients.id, id))
    return row
  }

  list(query: { afterId?: string | undefined; limit: number }): Promise<ClientRecord[]> {
    return this.db
      .select()
      .from(clients)
      .where(query.afterId ? gt(clients.id, query.afterId) : undefined)
      .orderBy(asc(clients.id))
      .limit(query.limit)
  }

  async update(id: string, patch: ClientPatch): Promise<ClientRecord | undefined> {
    const [row] = await this.db.update(clients).set(patch).where(eq(clients.id, id)).returning()
    return row
  }

  async delete(id: string): Promise<boolean> {
    const rows = await this.db
      .delete(clients)
      .where(eq(clients.id, id))
      .returning({ id: clients.id })
    return rows.length > 0
  }

  async touch(id: string, at: Date, notBefore: Date): Promise<void> {
    await this.db
      .update(clients)
      .set({ lastUsedAt: at })
      .where(
        and(eq(clients.id, id), or(isNull(clients.lastUsedAt), lt(clients.lastUsedAt, notBefore))),
      )
  }
}
