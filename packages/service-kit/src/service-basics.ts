import fp from 'fastify-plugin'
import { corsPolicy } from './cors.js'
import { type DocsOptions, docs } from './docs.js'
import { metrics } from './metrics.js'
import { problemErrors } from './problem.js'
import { requestIdHeader } from './request-id.js'

export interface ServiceBasicsOptions {
  docs: DocsOptions
  /** Prefix of the service's metric names, e.g. `auth_`. */
  metricsPrefix: string
  /** CORS_ORIGINS: browser origins allowed to call with credentials. */
  corsOrigins: readonly string[]
}

/**
 * What every service registers first: OpenAPI docs (before any route, so all are collected),
 * problem+json errors, the request-id header, Prometheus metrics, and the CORS policy.
 */
export const serviceBasics = fp<ServiceBasicsOptions>(
  async (fastify, options) => {
    await fastify.register(docs, options.docs)
    await fastify.register(problemErrors)
    await fastify.register(requestIdHeader)
    await fastify.register(metrics, { prefix: options.metricsPrefix })
    await fastify.register(corsPolicy, { origins: options.corsOrigins })
  },
  { name: 'service-basics', fastify: '5.x' },
)
