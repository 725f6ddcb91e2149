import { ProblemSchema, RevocationFeedQuerySchema, RevocationFeedSchema } from '@authpair/contracts'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { AuthConfig } from '../config.js'

/**
 * GET /revocations: the revocation feed, for internal services (jwt-verify's `revocation`
 * option follows it). Served on this service's own port like /health and /metrics, and never
 * routed by the gateway (docs/decisions.md): verifiers reach it where they reach the JWKS.
 */
const revocationRoutes: FastifyPluginAsyncZod<{ config: AuthConfig }> = async (
  fastify,
  { config },
) => {
  fastify.get(
    '/revocations',
    {
      schema: {
        tags: ['internal'],
        summary:
          'Sessions ended and users disabled since a cursor (long poll); own port only, not routed by the gateway',
        // Not the gateway of the document's `servers`: where verifiers reach the JWKS directly.
        servers: [
          {
            url: 'http://{host}:{port}',
            description: 'The auth-service’s own port, on the internal network',
            variables: {
              host: { default: '127.0.0.1' },
              port: { default: String(config.PORT) },
            },
          },
        ],
        querystring: RevocationFeedQuerySchema,
        response: { 200: RevocationFeedSchema, 400: ProblemSchema },
      },
    },
    async (request, reply) => {
      const waitMs = Math.min(request.query.wait, config.REVOCATION_FEED_MAX_WAIT_SECONDS) * 1000
      // A reader that goes away stops waiting.
      const gone = new AbortController()
      request.raw.once('close', () => gone.abort())
      const page = await fastify.revocationFeed.read(request.query.after, waitMs, gone.signal)
      reply.header('cache-control', 'no-store')
      return page
    },
  )
}

export default revocationRoutes
