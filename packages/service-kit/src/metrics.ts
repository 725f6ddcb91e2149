import fp from 'fastify-plugin'
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client'

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's Prometheus registry: plugins add their own counters and gauges to it. */
    metrics: Registry
  }
}

export interface MetricsOptions {
  /** Prefix of every metric name, e.g. `auth_`. */
  prefix: string
}

/**
 * Prometheus metrics at GET /metrics (on the service's own port; the gateway does not route
 * it): process and event-loop defaults plus request durations by route and status. The route
 * label is the route's pattern, and unmatched requests share one label, so a scan of random
 * URLs cannot blow up the series count.
 */
export const metrics = fp<MetricsOptions>(
  async (fastify, options) => {
    const registry = new Registry()
    collectDefaultMetrics({ register: registry, prefix: options.prefix })
    const duration = new Histogram({
      name: `${options.prefix}http_request_duration_seconds`,
      help: 'HTTP request duration by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    })
    fastify.decorate('metrics', registry)

    fastify.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched'
      if (route === '/metrics') return
      duration.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      )
    })

    fastify.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      reply.type(registry.contentType)
      return registry.metrics()
    })
  },
  { name: 'metrics', fastify: '5.x' },
)
