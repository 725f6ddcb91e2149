/**
 * Schema-driven fuzzing of every route both OpenAPI documents describe, deep enough to reach
 * the handlers: each route gets inputs that are valid (a live session, bodies and parameters
 * drawn from its schemas, real emails, passwords, refresh tokens, one-time tokens and ids),
 * mixed, and hostile (wrong types, huge, deeply nested, unicode edge cases, prototype-pollution
 * keys, bytes that are not UTF-8, odd media types, bad credentials). Every answer must be a
 * success, a redirect or a 4xx problem+json: never a 5xx, never a hang. Whether an input
 * reached the route's handler is counted by instrumenting the handlers (HandlerCounter), and
 * each route must reach its handler for a minimum share of its inputs.
 *
 * Short mode (CI): FUZZ_RUNS=150 per route. Long mode: `pnpm fuzz` (FUZZ_RUNS=10000).
 * FUZZ_SEED replays a run; FUZZ_ROUTE_SECONDS caps the time per route (0: no cap);
 * FUZZ_ROUTES=regex picks routes.
 */
import { newId } from '@authpair/db'
import { describe, expect, it } from 'vitest'
import { type Pair, startPair } from './helper.js'
import { FuzzCredentials } from './support/fuzz-credentials.js'
import type { KnownValues } from './support/fuzz-inputs.js'
import { HandlerCounter } from './support/handler-counter.js'
import { type FuzzRoute, type OpenApiDocument, routesOf } from './support/openapi-routes.js'
import { type Finding, fuzzRoute, type RouteReport } from './support/route-fuzzer.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 150)
const COOKIE_ORIGIN = 'https://app.fuzz.example'
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
const ROUTE_SECONDS = Number(process.env.FUZZ_ROUTE_SECONDS ?? (RUNS > 1000 ? 0 : 60))
/** No route here does anything slower than an argon2 hash; 10 s without an answer is a hang. */
const HANG_MS = 10_000
const DIALECT = process.env.TEST_DB ?? 'sqlite'
/** FUZZ_ROUTES=regex fuzzes only the routes whose `METHOD /path` matches (while working on one). */
const ONLY = new RegExp(process.env.FUZZ_ROUTES ?? '.')

/** The one redirect URI the fuzzed deployment allows. */
const REDIRECT_URI = 'http://localhost:3000/oauth/done'
/** Nothing listens on the discard port: a provider call (there should be none) fails at once. */
const NOWHERE = 'http://127.0.0.1:9'

/**
 * The share of a route's inputs that must reach its handler. Half of all inputs are generated
 * valid (fuzz-inputs.ts WEIGHTS) and nearly all of those reach it; some mixed ones do too. The
 * bar sits well under that, so the binomial spread of 150 runs (about ±4 points) never trips
 * it, and well over what the old fuzzer reached once its first `logout-all` had ended its only
 * session (authorized inputs stopped at 401, no credential-bearing body was ever valid).
 * Routes that take no input at all (no body, parameter or token) can only be sent junk query
 * strings and headers, which they ignore: nearly every input must reach them.
 */
function minimumReach(route: FuzzRoute): number {
  const takesInput =
    route.bearer || route.body || route.pathParams.length > 0 || route.queryParams.length > 0
  return takesInput ? 0.3 : 0.9
}

/** `METHOD /path` → why the fuzz setup cannot reach that handler. None today. */
const UNREACHABLE: Record<string, string> = {}

interface Fuzzed {
  pair: Pair
  counters: { auth: HandlerCounter; users: HandlerCounter }
  credentials: FuzzCredentials
  known: KnownValues
}

/**
 * A pair of its own for each service's fuzzing (each test owns its data): what one service's
 * inputs leave behind must not decide the other's results. POST /admin/auth/keys/rotate alone
 * publishes a key per input, and a JWKS of over 100 keys is one the users-service refuses
 * (see key-rotation-flood.test.ts).
 */
async function startFuzzedPair(): Promise<Fuzzed> {
  const counters = { auth: new HandlerCounter(), users: new HandlerCounter() }
  // argon2 at its cheapest: the fuzz is about what reaches the handlers, not hashing cost.
  // ES256 signing keys: generating an RS256 key takes about 0.25 s here, and the rotate route
  // generates one per input (40 minutes of key generation in long mode). The token code paths
  // are the same for every algorithm; the other suites run RS256.
  const argon2 = { ARGON2_MEMORY_KIB: '8192', ARGON2_ITERATIONS: '1' }
  const pair = await startPair(
    { JWT_ALGORITHMS: 'ES256', ...argon2 },
    {
      authEnv: {
        ...argon2,
        JWT_ALG: 'ES256',
        // One provider and one redirect URI, so authorize can succeed (302) and callback run.
        OAUTH_REDIRECT_URIS: REDIRECT_URI,
        GITHUB_CLIENT_ID: 'fuzz',
        GITHUB_CLIENT_SECRET: 'fuzz',
        GITHUB_AUTHORIZE_URL: `${NOWHERE}/authorize`,
        GITHUB_TOKEN_URL: `${NOWHERE}/token`,
        GITHUB_API_URL: NOWHERE,
        // Cookie-mode inputs come from here (route-fuzzer), so they reach the handlers too.
        CORS_ORIGINS: COOKIE_ORIGIN,
        // The feed's long poll would hold schema-valid inputs (wait up to 60) past HANG_MS.
        REVOCATION_FEED_MAX_WAIT_SECONDS: '0',
      },
      onRoute: { auth: counters.auth.hook, users: counters.users.hook },
    },
  )
  const providers = (await pair.auth.inject({ url: '/auth/oauth/providers' })).json() as {
    id: string
  }[]
  // One registered client for the token endpoint's credentials, and the grants it speaks.
  const { client, secret } = await pair.auth.clients.create(
    { name: 'fuzz', scopes: ['users:read', 'reports:write'], audiences: [] },
    { client: { ip: '127.0.0.1', userAgent: 'fuzz', requestId: 'fuzz' }, actorId: null },
  )
  return {
    pair,
    counters,
    credentials: await FuzzCredentials.create(pair),
    known: {
      // The configured ones, one that exists but is not configured, and one that does not.
      provider: [...providers.map((p) => p.id), 'google', 'myspace'],
      redirect_uri: [REDIRECT_URI],
      grant_type: ['client_credentials', 'refresh_token', 'password'],
      client_id: [client.id, client.id, newId()],
      client_secret: [secret, secret, 'not-the-secret'],
      scope: ['users:read', 'users:read reports:write', 'admin'],
    },
  }
}

const pct = (part: number, whole: number) => (whole ? `${((100 * part) / whole).toFixed(1)}%` : '-')

function table(service: string, reports: RouteReport[]): string {
  const head = [
    'route',
    'inputs',
    'handler',
    'valid→h',
    '2xx',
    '3xx',
    '4xx',
    '5xx',
    'hangs',
    '!problem',
    'stale401',
    'renewed',
    's',
  ]
  const rows = reports.map((r) => [
    r.route.key,
    r.inputs,
    pct(r.reached, r.inputs),
    pct(r.validReached, r.validInputs),
    r.byClass['2xx'],
    r.byClass['3xx'],
    r.byClass['4xx'],
    r.byClass['5xx'],
    r.hangs,
    r.notProblem,
    r.stale401,
    r.renewals,
    r.seconds.toFixed(1),
  ])
  const sum = (f: (r: RouteReport) => number) => reports.reduce((a, r) => a + f(r), 0)
  const total = {
    inputs: sum((r) => r.inputs),
    reached: sum((r) => r.reached),
    valid: sum((r) => r.validInputs),
    validReached: sum((r) => r.validReached),
  }
  rows.push([
    `total (${reports.length} routes)`,
    total.inputs,
    pct(total.reached, total.inputs),
    pct(total.validReached, total.valid),
    sum((r) => r.byClass['2xx']),
    sum((r) => r.byClass['3xx']),
    sum((r) => r.byClass['4xx']),
    sum((r) => r.byClass['5xx']),
    sum((r) => r.hangs),
    sum((r) => r.notProblem),
    sum((r) => r.stale401),
    sum((r) => r.renewals),
    sum((r) => r.seconds).toFixed(1),
  ])
  const cells = [head, ...rows].map((row) => row.map(String))
  const widths = head.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)))
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
  return [
    `fuzz ${service} (${DIALECT}, FUZZ_RUNS=${RUNS}, FUZZ_SEED=${SEED}): handler = share of inputs that reached the route's handler; valid→h = the same for inputs generated valid`,
    ...cells.map((row) => line(row).join('  ')),
  ].join('\n')
}

function describeFinding(f: Finding): string {
  return [
    `${f.kind}: ${f.route} answered ${f.status ?? '(nothing)'}`,
    `  request: ${JSON.stringify(f.request)}`,
    ...(f.body ? [`  body: ${f.body}`] : []),
    ...(f.errors ?? []).map((stack) => `  error: ${stack}`),
  ].join('\n')
}

async function fuzzService(service: 'auth' | 'users', docsUrl: string) {
  const { pair, counters, credentials, known } = await startFuzzedPair()
  try {
    return await fuzzRoutes(`${service}-service`, pair[service], docsUrl, {
      counter: counters[service],
      credentials,
      known,
    })
  } finally {
    await pair.close()
  }
}

async function fuzzRoutes(
  service: string,
  app: Pair['auth'],
  docsUrl: string,
  {
    counter,
    credentials,
    known,
  }: { counter: HandlerCounter; credentials: FuzzCredentials; known: KnownValues },
) {
  const doc = (await app.inject({ method: 'GET', url: docsUrl })).json() as OpenApiDocument
  const routes = routesOf(doc).filter((r) => ONLY.test(r.key))
  expect(routes.length).toBeGreaterThan(0)
  const reports: RouteReport[] = []
  for (const [index, route] of routes.entries()) {
    reports.push(
      await fuzzRoute({
        app,
        cookieOrigin: COOKIE_ORIGIN,
        doc,
        route,
        known,
        credentials,
        counter,
        runs: RUNS,
        seed: SEED + index,
        timeLimitMs: ROUTE_SECONDS * 1000,
        hangMs: HANG_MS,
      }),
    )
  }
  console.log(table(service, reports))

  const findings = reports.flatMap((r) => r.findings)
  if (findings.length) console.log(findings.slice(0, 20).map(describeFinding).join('\n\n'))
  const failures = reports.flatMap((r) =>
    [
      [r.byClass['5xx'], '5xx answers'],
      [r.hangs, 'hangs'],
      [r.notProblem, '4xx answers that are not problem+json'],
      // The old fuzzer's failure: authorized inputs refused because its own session had ended.
      [r.stale401, 'inputs with the live token refused 401 before the handler'],
    ]
      .filter(([n]) => Number(n) > 0)
      .map(([n, what]) => `${r.route.key}: ${n} ${what}`),
  )
  expect(failures).toEqual([])

  const problems: string[] = []
  for (const r of reports) {
    const key = r.route.key
    if (counter.count(r.route.method, r.route.fastifyPath) === undefined) {
      problems.push(`${key}: documented but no such route was registered (handler not counted)`)
      continue
    }
    if (UNREACHABLE[key]) continue
    const share = r.inputs ? r.reached / r.inputs : 0
    if (share < minimumReach(r.route)) {
      for (const miss of r.validMisses) {
        console.log(`${key}: a valid input did not reach the handler: ${JSON.stringify(miss)}`)
      }
      problems.push(
        `${key}: ${pct(r.reached, r.inputs)} of inputs reached the handler, under the ${pct(minimumReach(r.route), 1)} bar`,
      )
    }
  }
  expect(problems).toEqual([])
  return routes
}

const timeout = Math.max(300_000, RUNS * 30 * 100)

describe('schema-driven fuzzing that reaches the handlers', () => {
  const seen = new Set<string>()

  it('never answers 5xx or hangs on any auth-service route', { timeout }, async () => {
    for (const r of await fuzzService('auth', '/auth/docs/json')) seen.add(r.key)
  })

  it('never answers 5xx or hangs on any users-service route', { timeout }, async () => {
    for (const r of await fuzzService('users', '/users/docs/json')) seen.add(r.key)
  })

  it('lists only documented routes as unreachable, and nothing got polluted', () => {
    if (ONLY.source === '.') {
      for (const key of Object.keys(UNREACHABLE)) expect(seen).toContain(key)
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})
