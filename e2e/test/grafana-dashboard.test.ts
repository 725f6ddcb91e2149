/**
 * docs/grafana-dashboard.json is built on the metric names the services expose (issue 21):
 * every metric a panel queries is one that the auth-service or the users-service serves at
 * /metrics, so a renamed metric fails here rather than as an empty panel in production. Both
 * services run in this one process, each with its own registry.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Pair, startPair } from './helper.js'

interface Panel {
  title: string
  targets?: { expr: string }[]
}
const dashboard = JSON.parse(
  readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8'),
) as { panels: Panel[]; templating: { list: { definition?: string }[] } }

/** Metric names in a PromQL expression: identifiers followed by a selector or a range. */
function metricNames(expr: string): string[] {
  const names = [...expr.matchAll(/\b([a-z_][a-z0-9_]*)\s*(?=\{|\[)/g)].map((m) => m[1] ?? '')
  // A histogram is served as <name>_bucket/_sum/_count under one TYPE line.
  return names.map((name) => name.replace(/_(bucket|sum|count)$/, ''))
}

let pair: Pair
let served: Set<string>
beforeAll(async () => {
  pair = await startPair()
  const text = [
    (await pair.auth.inject({ method: 'GET', url: '/metrics' })).body,
    (await pair.users.inject({ method: 'GET', url: '/metrics' })).body,
  ].join('\n')
  served = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] ?? ''))
})
afterAll(async () => pair?.close())

describe('docs/grafana-dashboard.json', () => {
  it('queries only metrics the services serve, under their standard names', () => {
    const queried = new Set<string>()
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        for (const name of metricNames(target.expr)) queried.add(name)
      }
    }
    for (const variable of dashboard.templating.list) {
      for (const m of variable.definition?.matchAll(/label_values\((\w+)/g) ?? []) {
        queried.add(m[1] ?? '')
      }
    }
    // the counters issue 21 asks for, and the process defaults standard dashboards use
    for (const name of [
      'auth_login_failures_total',
      'auth_rate_limited_total',
      'users_rate_limited_total',
      'auth_refresh_token_reuse_total',
      'auth_mail_deliveries_total',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
    ]) {
      expect(queried).toContain(name)
    }
    expect([...queried].filter((name) => !served.has(name))).toEqual([])
  })
})
