import type { AuditClient } from '@authpair/db'
import type { FastifyRequest } from 'fastify'

/** The caller as the gateway saw it, for the audit trail. */
export function requestClient(request: FastifyRequest): AuditClient {
  return { ip: request.ip, userAgent: request.headers['user-agent'], requestId: String(request.id) }
}
