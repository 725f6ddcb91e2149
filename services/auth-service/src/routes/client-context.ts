import type { FastifyRequest } from 'fastify'
import type { ClientContext } from '../accounts/account-service.js'

/** The caller as the gateway saw it (request.ip honours only the configured TRUST_PROXY). */
export function clientContext(request: FastifyRequest): ClientContext {
  return {
    ip: request.ip,
    userAgent: request.headers['user-agent'],
    requestId: String(request.id),
  }
}
