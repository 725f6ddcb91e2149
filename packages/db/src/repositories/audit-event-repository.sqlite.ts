import { desc, eq } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { AuditEventRecord, NewAuditEvent } from '../records.js'
import * as schema from '../schema/sqlite.js'
import type { AuditEventRepository } from './audit-event-repository.js'

const events = schema.auditEvents

export class SqliteAuditEventRepository implements AuditEventRepository {
  constructor(private readonly db: BetterSQLite3Database<typeof schema>) {}

  async record(event: NewAuditEvent): Promise<void> {
    this.db.insert(events).values(event).run()
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
}
