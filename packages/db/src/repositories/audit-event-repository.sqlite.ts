import { desc, eq, sql } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { AuditEventRecord, NewAuditEvent } from '../records.js'
import * as schema from '../schema/sqlite.js'
import type { AuditEventRepository } from './audit-event-repository.js'

const events = schema.auditEvents
const p = sql.placeholder
const prepareInsert = (db: BetterSQLite3Database<typeof schema>) =>
  db
    .insert(events)
    .values({
      id: p('id'),
      type: p('type'),
      userId: p('userId'),
      actorId: p('actorId'),
      ip: p('ip'),
      userAgent: p('userAgent'),
      requestId: p('requestId'),
      data: p('data'),
      createdAt: p('createdAt'),
    })
    .prepare()

export class SqliteAuditEventRepository implements AuditEventRepository {
  constructor(private readonly db: BetterSQLite3Database<typeof schema>) {}

  // Every sign-in writes one: prepared once, on first use (the table must exist by then).
  private insert?: ReturnType<typeof prepareInsert>

  async record(event: NewAuditEvent): Promise<void> {
    this.insert ??= prepareInsert(this.db)
    this.insert.run({
      id: event.id,
      type: event.type,
      userId: event.userId ?? null,
      actorId: event.actorId ?? null,
      ip: event.ip ?? null,
      userAgent: event.userAgent ?? null,
      requestId: event.requestId ?? null,
      data: event.data ?? null,
      createdAt: event.createdAt,
    })
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
