import { desc, eq } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { AuditEventRecord, NewAuditEvent } from '../records.js'
import * as schema from '../schema/sqlite.js'
import type { AuditEventListQuery, AuditEventRepository } from './audit-event-repository.js'
import { auditListFilter } from './conditions.js'
import { preparedInsert } from './sqlite-insert.js'

const events = schema.auditEvents
const prepareInsert = (db: BetterSQLite3Database<typeof schema>) => preparedInsert(db, events)

export class SqliteAuditEventRepository implements AuditEventRepository {
  constructor(private readonly db: BetterSQLite3Database<typeof schema>) {}

  // Every sign-in writes one: prepared once, on first use (the table must exist by then).
  private insert?: ReturnType<typeof prepareInsert>

  async record(event: NewAuditEvent): Promise<void> {
    this.insert ??= prepareInsert(this.db)
    this.insert.run(event)
  }

  async listForUser(userId: string, limit: number): Promise<AuditEventRecord[]> {
    return this.db
      .select()
      .from(events)
      .where(eq(events.userId, userId))
      .orderBy(desc(events.createdAt), desc(events.id))
      .limit(limit)
      .all()
  }

  async findById(id: string): Promise<AuditEventRecord | undefined> {
    return this.db.select().from(events).where(eq(events.id, id)).get()
  }

  async list(query: AuditEventListQuery): Promise<AuditEventRecord[]> {
    return this.db
      .select()
      .from(events)
      .where(auditListFilter(events, query))
      .orderBy(desc(events.createdAt), desc(events.id))
      .limit(query.limit)
      .all()
  }
}
