import type { Database } from './database.js'
import { newId } from './ids.js'

/** Who did something, as the service saw them. */
export interface AuditClient {
  ip: string
  userAgent: string | undefined
  requestId: string
}

export interface AuditInput {
  /** e.g. login_succeeded, refresh_token_reused, user_deleted */
  type: string
  /** The account the event is about. */
  userId: string | null
  /** Who acted, when not the user themselves (an admin). */
  actorId?: string | null | undefined
  client: AuditClient
  /** Event details; never a secret. */
  data?: Record<string, unknown> | undefined
  at: Date
}

/**
 * Records an audit event. A failed write never fails the request that caused it: it goes to
 * `onError` (the service logs it at error level) instead.
 */
export async function recordAuditEvent(
  db: Database,
  input: AuditInput,
  onError: (error: unknown) => void,
): Promise<void> {
  try {
    await db.auditEvents.record({
      id: newId(),
      type: input.type,
      userId: input.userId,
      actorId: input.actorId ?? null,
      ip: input.client.ip,
      userAgent: input.client.userAgent?.slice(0, 512) ?? null,
      requestId: input.client.requestId,
      data: input.data ? JSON.stringify(input.data) : null,
      createdAt: input.at,
    })
  } catch (error) {
    onError(error)
  }
}
