import autocannon from 'autocannon'

export interface LoadResult {
  requestsPerSecond: number
  p50Ms: number
  meanMs: number
  p99Ms: number
  /** Non-2xx answers, socket errors and timeouts: an error is never throughput. */
  errors: number
  total: number
}

export interface LoadOptions {
  url: string
  connections: number
  seconds: number
  warmupSeconds: number
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  /** Per-connection request sequence (autocannon `requests`), for stateful scenarios. */
  requests?: autocannon.Request[]
}

function run(options: LoadOptions, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: options.url,
    connections: options.connections,
    duration: seconds,
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    ...(options.body ? { body: options.body } : {}),
    ...(options.requests ? { requests: options.requests } : {}),
    timeout: 10,
  })
}

/**
 * A closed loop: warm-up on the same shape first, then the measured window.
 */
export async function load(options: LoadOptions): Promise<LoadResult> {
  if (options.warmupSeconds > 0) await run(options, options.warmupSeconds)
  const result = await run(options, options.seconds)
  const ok = result['2xx']
  const errors = result.non2xx + result.errors + result.timeouts
  if (errors > 0) {
    // Say what they were: a status (which one), a socket error, or a timeout.
    console.log(
      `bench: ${options.url}: ${result.non2xx} non-2xx ${JSON.stringify(result.statusCodeStats)}, ${result.errors} socket errors, ${result.timeouts} timeouts`,
    )
  }
  return {
    requestsPerSecond: ok / options.seconds,
    p50Ms: result.latency.p50,
    meanMs: result.latency.mean,
    p99Ms: result.latency.p99,
    errors,
    total: ok + errors,
  }
}

/**
 * POST /auth/token/refresh, each request spending a live token: autocannon resets a
 * connection's context at every loop, so the live tokens are shared: a request takes one, its
 * response gives back the rotated one.
 */
export function refreshRequests(pool: string[]): autocannon.Request[] {
  return [
    {
      method: 'POST',
      path: '/auth/token/refresh',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req) => ({
        ...req,
        body: JSON.stringify({ refresh_token: pool.shift() }),
      }),
      onResponse: (status, body) => {
        if (status === 200) pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token)
      },
    },
  ]
}
