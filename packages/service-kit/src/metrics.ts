import fp from 'fastify-plugin'
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client'

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's Prometheus registry: plugins add their own counters and gauges to it. */
    metrics: Registry
  }
}

export interface MetricsOptions {
  /** Prefix of this service's own metric names, e.g. `auth_`; never of the process defaults. */
  prefix: string
}

/**
 * Prometheus metrics at GET /metrics (on the service's own port; the gateway does not route
 * it): prom-client's default process and Node.js metrics under their standard names
 * (`process_cpu_seconds_total`, `nodejs_eventloop_lag_seconds`, …, what the usual Node.js
 * dashboards query; the `job`/`instance` labels Prometheus adds tell the services apart), plus
 * request durations by route and status and rate-limited requests by route, under the
 * service's prefix. The route label is the route's pattern, and unmatched requests share one
 * label, so a scan of random URLs cannot blow up the series count.
 *
 * Each app has its own registry, so two services built in one process (the tests do) each
 * expose the standard names once, instead of colliding in prom-client's global registry.
 */
export const metrics = fp<MetricsOptions>(
  async (fastify, options) => {
    const registry = new Registry()
    collectDefaultMetrics({ register: registry })
    const duration = new Histogram({
      name: `${options.prefix}http_request_duration_seconds`,
      help: 'HTTP request duration by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    })
    const rateLimited = new Counter({
      name: `${options.prefix}rate_limited_total`,
      help: 'Requests refused with 429 rate_limited, by route pattern',
      labelNames: ['route'] as const,
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
      // Every 429 these services send is a rate limit (problem code rate_limited).
      if (reply.statusCode === 429) rateLimited.inc({ route })
    })

    fastify.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      reply.type(registry.contentType)
      return registry.metrics()
    })
  },
  { name: 'metrics', fastify: '5.x' },
)
