import { desc, eq } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { AuditEventRecord, NewAuditEvent } from '../records.js'
import * as schema from '../schema/pg.js'
import type { AuditEventListQuery, AuditEventRepository } from './audit-event-repository.js'
import { auditListFilter } from './conditions.js'

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

  async findById(id: string): Promise<AuditEventRecord | undefined> {
    const [row] = await this.db.select().from(events).where(eq(events.id, id))
    return row
  }

  list(query: AuditEventListQuery): Promise<AuditEventRecord[]> {
    return this.db
      .select()
      .from(events)
      .where(auditListFilter(events, query))
      .orderBy(desc(events.createdAt), desc(events.id))
      .limit(query.limit)
  }
}
