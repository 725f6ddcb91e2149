import { and, asc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { ClientRecord, NewClient } from '../records.js'
import * as schema from '../schema/sqlite.js'
import type { ClientPatch, ClientRepository } from './client-repository.js'
import { preparedInsert } from './sqlite-insert.js'

const { clients } = schema

/** better-sqlite3 is synchronous: each method runs one statement and resolves with its result. */
export class SqliteClientRepository implements ClientRepository {
  constructor(private readonly db: BetterSQLite3Database<typeof schema>) {}

  // Prepared once, on first use (the table must exist by then): the token endpoint reads a
  // client per request.
  private prepared?: {
    insert: ReturnType<typeof preparedInsert<typeof clients>>
    byId: ReturnType<typeof prepareById>
  }
  private get statements() {
    this.prepared ??= { insert: preparedInsert(this.db, clients), byId: prepareById(this.db) }
    return this.prepared
  }

  async create(client: NewClient): Promise<ClientRecord> {
    return this.statements.insert.get(client)
  }

  async findById(id: string): Promise<ClientRecord | undefined> {
    return this.statements.byId.get({ id })
  }

  async list(query: { afterId?: string | undefined; limit: number }): Promise<ClientRecord[]> {
    return this.db
      .select()
      .from(clients)
      .where(query.afterId ? gt(clients.id, query.afterId) : undefined)
      .orderBy(asc(clients.id))
      .limit(query.limit)
      .all()
  }

  async update(id: string, patch: ClientPatch): Promise<ClientRecord | undefined> {
    return this.db.update(clients).set(patch).where(eq(clients.id, id)).returning().get()
  }

  async delete(id: string): Promise<boolean> {
    return this.db.delete(clients).where(eq(clients.id, id)).run().changes > 0
  }

  async touch(id: string, at: Date, notBefore: Date): Promise<void> {
    this.db
      .update(clients)
      .set({ lastUsedAt: at })
      .where(
        and(eq(clients.id, id), or(isNull(clients.lastUsedAt), lt(clients.lastUsedAt, notBefore))),
      )
      .run()
  }
}

const prepareById = (db: BetterSQLite3Database<typeof schema>) =>
  db
    .select()
    .from(clients)
    .where(eq(clients.id, sql.placeholder('id')))
    .prepare()
