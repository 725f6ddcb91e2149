import { z } from 'zod'

export const HealthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' })
export type Health = z.infer<typeof HealthSchema>

/** Readiness: each dependency reports ok or a short reason, so an operator sees what is down. */
export const ReadinessSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() })),
  })
  .meta({ id: 'Readiness' })
export type Readiness = z.infer<typeof ReadinessSchema>
