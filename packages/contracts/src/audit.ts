import { z } from 'zod'
import { AUDIT_EVENT_TYPES } from './audit-event-types.js'

export { AUDIT_EVENT_TYPES }

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number]
export const AuditEventTypeSchema = z.enum(AUDIT_EVENT_TYPES).meta({ id: 'AuditEventType' })

/**
 * `type` filter: repeat the parameter for several (`?type=a&type=b`, OpenAPI's form style,
 * explode true); an event of any of them matches. Every name must be on the closed list
 * (AuditEventType), so a typo is a 400, not an empty page. (Not comma-separated: a repeated
 * enum is what the OpenAPI document can describe exactly, for generated clients.)
 */
const AuditTypeFilterSchema = z
  .union([AuditEventTypeSchema, z.array(AuditEventTypeSchema).max(AUDIT_EVENT_TYPES.length)])
  .transform((value) => (Array.isArray(value) ? value : [value]))
  .describe('AuditEventType names, the parameter repeated for several; any of them matches')

/** An RFC 3339 time in a query, as a Date. */
const QueryTimeSchema = z.iso
  .datetime({ offset: true })
  .transform((value) => new Date(value))
  .describe('RFC 3339 timestamp, e.g. 2026-03-01T12:00:00Z')

/**
 * GET /admin/audit's query. Every filter is optional and they combine (AND). `since` is
 * inclusive, `until` exclusive, so consecutive windows neither overlap nor leave a gap.
 * `user` is accepted as another name for `user_id`. What a schema cannot say (`user` naming
 * another user than `user_id`, `until` before `since`) the route answers with the same 400.
 */
export const AuditEventListQuerySchema = z.strictObject({
  user_id: z.uuid().optional().describe('events about this user (the account they concern)'),
  user: z.uuid().optional().describe('the same as user_id'),
  type: AuditTypeFilterSchema.optional(),
  since: QueryTimeSchema.optional().describe('events at or after this time (RFC 3339)'),
  until: QueryTimeSchema.optional().describe('events before this time (RFC 3339)'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional().describe('next_cursor of the previous page'),
})
export type AuditEventListQuery = z.infer<typeof AuditEventListQuerySchema>

/** One audit event as the admin API shows it. */
export const AuditEventSchema = z
  .object({
    id: z.uuid(),
    type: z
      .string()
      .describe(
        'an AuditEventType name (a string here so that a name added later never breaks a reader)',
      ),
    user_id: z.string().nullable().describe('the account the event is about'),
    actor_id: z
      .string()
      .nullable()
      .describe('who acted, when not the user themselves (an admin); null otherwise'),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    request_id: z.string().nullable().describe('the X-Request-Id of the request that caused it'),
    created_at: z.iso.datetime({ offset: true }).describe('RFC 3339 timestamp'),
    details: z
      .record(z.string(), z.unknown())
      .describe('event-specific details ({} when none); never a secret'),
  })
  .meta({ id: 'AuditEvent' })
export type AuditEvent = z.infer<typeof AuditEventSchema>

export const AuditEventListSchema = z
  .object({
    items: z.array(AuditEventSchema).describe('newest first'),
    next_cursor: z.string().nullable(),
  })
  .meta({ id: 'AuditEventList' })
export type AuditEventList = z.infer<typeof AuditEventListSchema>
