import type { AuditEventType } from '@authpair/contracts'
import { type AuditClient, type Database, recordAuditEvent } from '@authpair/db'
import type { Clock } from './clock.js'

export type { AuditEventType }

/** Told of every event as it is recorded (metrics count failed sign-ins from it). */
export type AuditObserver = (
  type: AuditEventType,
  data: Record<string, unknown> | undefined,
) => void

/**
 * The audit trail as the account rules write it: a closed list of event types, the time from
 * the injected clock, and a failed write that never fails the request (it goes to `onError`).
 * `observe`, when given, hears every event, written or not: the one place the service's
 * security counters (failed sign-ins by reason, refresh-token reuse) are fed from, so a
 * counter and the audit log cannot disagree about what happened.
 */
export class AuditTrail {
  constructor(
    private readonly db: Database,
    private readonly now: Clock,
    private readonly onError: (error: unknown, type: AuditEventType) => void,
    private readonly observe?: AuditObserver,
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
    this.observe?.(type, event.data)
    return recordAuditEvent(this.db, { type, ...event, at: this.now() }, (error) =>
      this.onError(error, type),
    )
  }
}
