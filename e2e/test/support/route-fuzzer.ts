/**
 * Sends one route its generated inputs through `inject`, one at a time, and keeps the score:
 * how many reached the handler (HandlerCounter), the status classes, and every finding (a 5xx
 * with the error behind it, a hang, a 4xx that is not problem+json) with the request that
 * caused it.
 */
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import type { FuzzCredentials } from './fuzz-credentials.js'
import { type FuzzInput, inputsFor, type KnownValues } from './fuzz-inputs.js'
import type { HandlerCounter } from './handler-counter.js'
import type { FuzzRoute, OpenApiDocument } from './openapi-routes.js'

export interface Finding {
  kind: '5xx' | 'hang' | 'not problem+json'
  route: string
  request: { method: string; url: string; headers: Record<string, string>; payload?: string }
  status?: number
  body?: string
  /** Stacks of the errors the route's error handling saw for this request. */
  errors?: string[]
}

export interface RouteReport {
  route: FuzzRoute
  inputs: number
  /** Inputs whose handler ran. */
  reached: number
  /** Inputs generated valid, and how many of them reached the handler. */
  validInputs: number
  validReached: number
  byClass: Record<'2xx' | '3xx' | '4xx' | '5xx', number>
  hangs: number
  /** 4xx answers that are not problem+json with a string `code`. */
  notProblem: number
  /** Live-token inputs refused 401 before the handler: the subject died unnoticed (should be 0). */
  stale401: number
  /** Subjects minted after the route's first, because an input ended one. */
  renewals: number
  seconds: number
  /** The first MAX_FINDINGS findings (the counts above have them all). */
  findings: Finding[]
  /** The first few inputs generated valid that did not reach the handler, to show why. */
  validMisses: { request: Finding['request']; status: number; body: string }[]
}

export interface FuzzRouteOptions {
  app: FastifyInstance
  /** An origin in the auth-service's CORS_ORIGINS: cookie-mode inputs come from it. */
  cookieOrigin?: string
  doc: OpenApiDocument
  route: FuzzRoute
  known: KnownValues
  credentials: FuzzCredentials
  counter: HandlerCounter
  runs: number
  seed: number
  /** Stop the route early after this many ms (0: never); the report shows the inputs sent. */
  timeLimitMs: number
  /** An answer slower than this is a hang. */
  hangMs: number
}

const MAX_FINDINGS = 20

const clip = (text: string, max = 400) =>
  text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text

function asParam(value: unknown): string | undefined {
  if (value === undefined) return undefined
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
}

/**
 * A path segment, percent-encoded; a lone surrogate (which encodeURIComponent refuses) goes
 * out as the three bytes WTF-8 gives it, so the router sees bytes that are not UTF-8.
 */
function encodeSegment(value: string): string {
  let out = ''
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0
    out +=
      code >= 0xd800 && code <= 0xdfff
        ? [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
            .map((byte) => `%${byte.toString(16).toUpperCase()}`)
            .join('')
        : encodeURIComponent(char)
  }
  return out
}

export async function fuzzRoute(options: FuzzRouteOptions): Promise<RouteReport> {
  const { app, route, credentials, counter } = options
  const report: RouteReport = {
    route,
    inputs: 0,
    reached: 0,
    validInputs: 0,
    validReached: 0,
    byClass: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
    hangs: 0,
    notProblem: 0,
    stale401: 0,
    renewals: 0,
    seconds: 0,
    findings: [],
    validMisses: [],
  }
  const started = performance.now()
  const found = (finding: Finding) => {
    if (report.findings.length < MAX_FINDINGS) report.findings.push(finding)
  }
  await credentials.startRoute(route)

  const send = async (input: FuzzInput) => {
    await credentials.prepare()
    const resolve = (value: unknown) => credentials.resolve(value)

    let url = route.path
    for (const p of route.pathParams) {
      const value = asParam(await resolve(input.path[p.name])) ?? ''
      url = url.replace(`{${p.name}}`, encodeSegment(value))
    }
    const search = new URLSearchParams()
    for (const [key, raw] of Object.entries(input.query)) {
      const value = await resolve(raw)
      for (const item of Array.isArray(value) ? value : [value]) {
        const text = asParam(item)
        if (text !== undefined) search.append(key, text)
      }
    }
    if (search.size) url += `?${search}`

    const cookieMode = search.get('token_delivery') === 'cookie'
    let bodyRefreshToken: unknown
    let payload: string | Buffer | undefined
    if (input.body && 'raw' in input.body) payload = input.body.raw
    else if (input.body) {
      let value = input.body.value
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        const copy: Record<string, unknown> = { ...value } // keeps own __proto__ keys as keys
        for (const key of Object.keys(copy)) {
          const resolved = await resolve(copy[key])
          if (resolved === undefined) delete copy[key]
          else copy[key] = resolved
        }
        value = copy
        bodyRefreshToken = copy.refresh_token
      }
      payload = input.contentType?.startsWith('application/x-www-form-urlencoded')
        ? new URLSearchParams(
            Object.entries((value ?? {}) as object).map(([k, v]): [string, string] => [
              k,
              asParam(v) ?? '',
            ]),
          ).toString()
        : (JSON.stringify(value) ?? 'null')
    }

    const headers: Record<string, string> = {}
    if (payload !== undefined && input.contentType !== undefined) {
      headers['content-type'] = input.contentType
    }
    const authorization = await credentials.authorization(input.auth)
    if (authorization !== undefined) headers.authorization = authorization
    // Cookie mode as a browser app sends it: the refresh token the input holds, as the cookie,
    // from the allowed origin with the CSRF header (the body's copy is then ignored).
    if (cookieMode && typeof bodyRefreshToken === 'string' && options.cookieOrigin) {
      headers.cookie = `authpair_refresh=${encodeURIComponent(bodyRefreshToken)}`
      headers.origin = options.cookieOrigin
      headers['x-requested-with'] = 'fetch'
    }

    const request = {
      method: route.method,
      url,
      headers,
      ...(payload !== undefined ? { payload: clip(payload.toString()) } : {}),
    }
    const before = counter.count(route.method, route.fastifyPath) ?? 0
    counter.takeErrors()
    let timer: NodeJS.Timeout | undefined
    const res = await Promise.race([
      app.inject({
        method: route.method as 'GET',
        url,
        headers,
        ...(payload !== undefined ? { payload } : {}),
      }),
      new Promise<'hang'>((resolveHang) => {
        timer = setTimeout(() => resolveHang('hang'), options.hangMs)
      }),
    ])
    clearTimeout(timer)
    report.inputs++
    if (input.kind === 'valid') report.validInputs++
    if (res === 'hang') {
      report.hangs++
      found({ kind: 'hang', route: route.key, request })
      return
    }
    const reached = (counter.count(route.method, route.fastifyPath) ?? 0) > before
    if (reached) report.reached++
    const status = res.statusCode
    if (input.kind === 'valid') {
      if (reached) report.validReached++
      else if (report.validMisses.length < 3) {
        report.validMisses.push({ request, status, body: clip(res.body, 300) })
      }
    }
    report.byClass[`${Math.min(5, Math.floor(status / 100))}xx` as '2xx'] += 1
    const contentType = String(res.headers['content-type'] ?? '')
    if (status >= 500) {
      found({
        kind: '5xx',
        route: route.key,
        request,
        status,
        body: clip(res.body),
        errors: counter.takeErrors().map((e) => e.stack ?? String(e)),
      })
    } else if (status >= 400) {
      // problem+json with a string `code`; the OAuth token endpoint's RFC 6749 §5.2 JSON with
      // a string `error` (what its OpenAPI document says it answers).
      const oauth = route.errors === 'oauth'
      let code: unknown
      try {
        code = oauth ? res.json().error : res.json().code
      } catch {}
      const mediaType = oauth ? /^application\/json/ : /^application\/problem\+json/
      if (!mediaType.test(contentType) || typeof code !== 'string') {
        report.notProblem++
        found({
          kind: 'not problem+json',
          route: route.key,
          request,
          status,
          body: clip(res.body),
        })
      }
    }
    if (input.auth === 'live' && status === 401 && !reached) {
      report.stale401++
      credentials.forgetSubject()
    }
    if (/json/.test(contentType) && status < 300) {
      try {
        credentials.observe(res.json())
      } catch {}
    }
  }

  await fc.assert(fc.asyncProperty(inputsFor(options.doc, route, options.known), send), {
    numRuns: options.runs,
    seed: options.seed,
    ...(options.timeLimitMs > 0 ? { interruptAfterTimeLimit: options.timeLimitMs } : {}),
  })
  report.renewals = credentials.renewals
  report.seconds = (performance.now() - started) / 1000
  return report
}
