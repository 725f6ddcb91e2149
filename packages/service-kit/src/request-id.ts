import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import fp from 'fastify-plugin'

/**
 * An incoming X-Request-Id is honoured only when it looks like an id: bounded, and made of
 * characters that cannot forge a log line or a header. Anything else gets a fresh UUID.
 */
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

export function genReqId(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id']
  if (typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming)) return incoming
  return randomUUID()
}

/** Echoes the request id on every response, so a client can quote it in a bug report. */
export const requestIdHeader = fp(
  async (fastify) => {
    fastify.addHook('onRequest', async (request, reply) => {
      reply.header('x-request-id', request.id)
    })
  },
  { name: 'request-id', fastify: '5.x' },
)
