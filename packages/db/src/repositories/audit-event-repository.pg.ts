import { desc, eq } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { AuditEventRecord, NewAuditEvent } from '../records.js'
import * as schema from '../schema/pg.js'
import type { AuditEventRepository } from './audit-event-repository.js'

const events = schema.auditEvents

export class PgAuditEventRepository implements AuditEventRepository {
  constructor(private readonly db: PostgresJsDatabase<typeof schema>) {}

  async record(event: NewAuditEvent): Promise<void> {
    await this.db.insert(events).values(event)
  }

  listForUser(userId: string, limit: number): Promise<AuditEventRecord[]> {
    return this.db
      .select()
      .from(events)
      .where(eq(events.userId, userId))
      .orderBy(desc(events.createdAt), desc(events.id))
      .limit(limit)
  }
}
