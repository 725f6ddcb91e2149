import { HealthSchema, ReadinessSchema } from '@authpair/contracts'
import fp from 'fastify-plugin'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'

export type ReadinessCheck = () => Promise<void>

export interface HealthOptions {
  /** Named checks /ready runs; each resolves when its dependency is usable. */
  checks: Record<string, ReadinessCheck>
  /** Milliseconds a check may take before it counts as failed. Default 2000. */
  checkTimeoutMs?: number
}

function withTimeout(check: ReadinessCheck, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    check(),
    new Promise<void>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

/**
 * GET /health: the process is alive (no dependency is checked, so a database outage does not
 * get the container restarted). GET /ready: every dependency answers, else 503 with which one
 * did not. Neither is routed by the gateway.
 */
export const health = fp<HealthOptions>(
  async (fastify, options) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>()
    const timeoutMs = options.checkTimeoutMs ?? 2000

    app.get('/health', { schema: { hide: true, response: { 200: HealthSchema } } }, async () => ({
      status: 'ok' as const,
    }))

    app.get(
      '/ready',
      { schema: { hide: true, response: { 200: ReadinessSchema, 503: ReadinessSchema } } },
      async (request, reply) => {
        const entries = await Promise.all(
          Object.entries(options.checks).map(async ([name, check]) => {
            try {
              await withTimeout(check, timeoutMs)
              return [name, { ok: true }] as const
            } catch (error) {
              const detail = error instanceof Error ? error.message : String(error)
              request.log.warn({ check: name, detail }, 'readiness check failed')
              return [name, { ok: false, detail }] as const
            }
          }),
        )
        const ready = entries.every(([, result]) => result.ok)
        reply.code(ready ? 200 : 503)
        return {
          status: ready ? ('ready' as const) : ('not_ready' as const),
          checks: Object.fromEntries(entries),
        }
      },
    )
  },
  { name: 'health', fastify: '5.x' },
)
