import type { AuditEventType } from '@authpair/contracts'
import { type AuditClient, type Database, recordAuditEvent } from '@authpair/db'
import type { Clock } from './clock.js'

export type { AuditEventType }

/**
 * The audit trail as the account rules write it: a closed list of event types, the time from
 * the injected clock, and a failed write that never fails the request (it goes to `onError`).
 */
export class AuditTrail {
  constructor(
    private readonly db: Database,
    private readonly now: Clock,
    private readonly onError: (error: unknown, type: AuditEventType) => void,
  ) {}

  record(
    type: AuditEventType,
    event: {
      userId: string | null
      client: AuditClient
      /** Who acted, when not the user themselves (an admin). */
      actorId?: string | null | undefined
      /** Details; never a secret. */
      data?: Record<string, unknown> | undefined
    },
  ): Promise<void> {
    return recordAuditEvent(this.db, { type, ...event, at: this.now() }, (error) =>
      this.onError(error, type),
    )
  }
}
