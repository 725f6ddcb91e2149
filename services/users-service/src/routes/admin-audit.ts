import {
  type AuditEvent,
  AuditEventListQuerySchema,
  AuditEventListSchema,
  ProblemSchema,
} from '@authpair/contracts'
import type { AuditEventRecord } from '@authpair/db'
import { decodeCursor, encodeCursor, HttpProblem } from '@authpair/service-kit'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'

const security = [{ bearerAuth: [] }]
const denied = { 401: ProblemSchema, 403: ProblemSchema }

/** The stored details (JSON text) as an object; {} when there are none or they are not one. */
function detailsOf(data: string | null): Record<string, unknown> {
  if (data === null) return {}
  try {
    const parsed: unknown = JSON.parse(data)
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : { value: parsed }
  } catch {
    // Only recordAuditEvent writes the column (JSON.stringify), so this is a hand-made row:
    // show it as it is rather than fail the whole page.
    return { raw: data }
  }
}

const invalidQuery = (path: string, message: string) =>
  new HttpProblem(400, 'validation_failed', 'The request is not valid.', {
    errors: [{ path, message }],
  })

function toAuditEvent(event: AuditEventRecord): AuditEvent {
  return {
    id: event.id,
    type: event.type,
    user_id: event.userId,
    actor_id: event.actorId,
    ip: event.ip,
    user_agent: event.userAgent,
    request_id: event.requestId,
    created_at: event.createdAt.toISOString(),
    details: detailsOf(event.data),
  }
}

/**
 * GET /admin/audit: the audit trail both services write (one database), newest first, a page
 * at a time. Role admin, like /admin/users; the gateway also allowlists /admin/.
 */
const adminAuditRoutes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.addHook('preHandler', fastify.requireAdmin)

  fastify.get(
    '/admin/audit',
    {
      schema: {
        tags: ['admin'],
        summary: 'Audit events, newest first, a page at a time, filtered by user, type and time',
        description:
          'Filters combine. Repeat `type` for several (any of them matches); ' +
          '`since` is inclusive and `until` exclusive. Pass `next_cursor` back as `cursor` ' +
          'for the next page, with the same filters; it is null on the last page.',
        security,
        querystring: AuditEventListQuerySchema,
        response: { 200: AuditEventListSchema, 400: ProblemSchema, ...denied },
      },
    },
    async (request) => {
      const { cursor, limit, user_id, user, type, since, until } = request.query
      // Checks across parameters, here rather than in the schema: the OpenAPI document then
      // describes exactly the inputs the schema accepts, and these are the same 400.
      if (user_id !== undefined && user !== undefined && user_id !== user) {
        throw invalidQuery('query.user', 'names another user than user_id')
      }
      if (since && until && since.getTime() > until.getTime()) {
        throw invalidQuery('query.until', 'must not be before since')
      }
      // The cursor is the last event of the previous page; the page goes on from its position
      // (created_at, id), so an event never shows twice or falls between two pages.
      const after = cursor ? await fastify.db.auditEvents.findById(decodeCursor(cursor)) : undefined
      if (cursor && !after) throw invalidQuery('query.cursor', 'is not a cursor this API returned')
      const rows = await fastify.db.auditEvents.list({
        userId: user_id ?? user,
        types: type,
        since,
        until,
        after,
        limit: limit + 1,
      })
      const page = rows.slice(0, limit)
      const last = page.at(-1)
      return {
        items: page.map(toAuditEvent),
        next_cursor: rows.length > limit && last ? encodeCursor(last.id) : null,
      }
    },
  )
}

export default adminAuditRoutes
