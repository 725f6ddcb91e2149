import type { AuditEventRecord, NewAuditEvent } from '../records.js'

export interface AuditEventRepository {
  record(event: NewAuditEvent): Promise<void>
  /** A user's events, newest first. */
  listForUser(userId: string, limit: number): Promise<AuditEventRecord[]>
}
