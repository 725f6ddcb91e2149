import type { AuditEventRecord, NewAuditEvent } from '../records.js'

/** The filters and page of an audit listing; every filter is optional and they combine (AND). */
export interface AuditEventListQuery {
  /** Events about this user. */
  userId?: string | undefined
  /** Events of any of these types; undefined (or empty) means every type. */
  types?: readonly string[] | undefined
  /** Events at or after this time (inclusive). */
  since?: Date | undefined
  /** Events before this time (exclusive), so consecutive windows neither overlap nor gap. */
  until?: Date | undefined
  /**
   * Events that come after this one in the listing's order (created_at desc, id desc): the last
   * event of the previous page. Events share a created_at (millisecond timestamps), so the
   * position is the pair, not the time alone.
   */
  after?: Pick<AuditEventRecord, 'createdAt' | 'id'> | undefined
  limit: number
}

export interface AuditEventRepository {
  record(event: NewAuditEvent): Promise<void>
  /** A user's events, newest first. */
  listForUser(userId: string, limit: number): Promise<AuditEventRecord[]>
  findById(id: string): Promise<AuditEventRecord | undefined>
  /** A page of events, newest first (created_at desc, id desc), filtered. */
  list(query: AuditEventListQuery): Promise<AuditEventRecord[]>
}
