/**
 * `pnpm bench --db postgres --replicas`: the production shape (`pnpm start:prod-shape`: real
 * nginx in front of N replicas of each service, PostgreSQL, Redis), one replica of each against
 * two, in one run: `me`, `login` and `refresh` through the gateway. The services and nginx share
 * core 0 (the load generator keeps core 1; PostgreSQL and Redis are not pinned), as in the main
 * bench, so on this 2-core machine the second replica can only show what replication costs, not
 * what it gains.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { type LoadResult, load, refreshRequests } from './load.js'
import { freePort } from './processes.js'

export interface ReplicaRun {
  replicas: number
  me: LoadResult
  login: LoadResult
  refresh: LoadResult
}

const PASSWORD = 'quartz-meadow-lantern-horizon'
const UNLIMITED = '1000000000'

export async function replicaRuns(options: {
  root: string
  databaseUrl: (replicas: number) => Promise<string>
  seconds: number
  warmupSeconds: number
  log: (line: string) => void
}): Promise<ReplicaRun[]> {
  const runs: ReplicaRun[] = []
  for (const replicas of [1, 2]) {
    // As an operator runs it: `pnpm start:prod-shape`, a process (it migrates the database).
    const port = await freePort()
    const child = spawn(
      process.execPath,
      [join(options.root, 'tools/launcher/dist/prod-shape-main.js')],
      {
        env: {
          ...process.env,
          DATABASE_URL: await options.databaseUrl(replicas),
          GATEWAY_PORT: String(port),
          PROD_SHAPE_REPLICAS: String(replicas),
          PROD_SHAPE_CPUS: '0',
          LOG_LEVEL: 'warn',
          RATE_LIMIT_LOGIN_PER_IP: UNLIMITED,
          RATE_LIMIT_LOGIN_PER_ACCOUNT: UNLIMITED,
          RATE_LIMIT_LOGIN_PER_ACCOUNT_IP: UNLIMITED,
          RATE_LIMIT_REGISTER_PER_IP: UNLIMITED,
          RATE_LIMIT_REFRESH_PER_IP: UNLIMITED,
          AUTHPAIR_LOGIN_RATE: '100000r/s',
          AUTHPAIR_REGISTER_RATE: '100000r/s',
          AUTHPAIR_REFRESH_RATE: '100000r/s',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    const gatewayUrl = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout?.on('data', (chunk) => {
        out += String(chunk)
        const url = /prod-shape: nginx on (\S+),/.exec(out)?.[1]
        if (url) resolve(url)
      })
      child.once('exit', (code) => reject(new Error(`prod-shape exited with ${code}: ${out}`)))
    })
    const shape = {
      gatewayUrl,
      stop: async () => {
        if (child.exitCode !== null) return
        child.kill('SIGTERM')
        await once(child, 'exit')
      },
    }
    try {
      runs.push(await measure(shape.gatewayUrl, replicas, options))
      const last = runs.at(-1)
      options.log(
        `${replicas} replica(s) of each: me ${last?.me.requestsPerSecond.toFixed(0)}/s, login ${last?.login.requestsPerSecond.toFixed(0)}/s, refresh ${last?.refresh.requestsPerSecond.toFixed(0)}/s`,
      )
    } finally {
      await shape.stop()
    }
  }
  return runs
}

async function measure(
  gateway: string,
  replicas: number,
  options: { seconds: number; warmupSeconds: number },
): Promise<ReplicaRun> {
  const post = (path: string, body: unknown) =>
    fetch(`${gateway}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  const email = `bench-replicas-${replicas}@example.com`
  const registered = await post('/auth/register', { email, password: PASSWORD })
  if (registered.status !== 201) throw new Error(`replicas: register answered ${registered.status}`)
  const loginPair = async () => {
    const res = await post('/auth/login', { email, password: PASSWORD })
    if (res.status !== 200) throw new Error(`replicas: login answered ${res.status}`)
    return (await res.json()) as { access_token: string; refresh_token: string }
  }
  const base = { seconds: options.seconds, warmupSeconds: options.warmupSeconds }
  const { access_token: token } = await loginPair()
  const me = await load({
    ...base,
    url: `${gateway}/users/me`,
    connections: 50,
    headers: { authorization: `Bearer ${token}` },
  })
  const login = await load({
    ...base,
    url: `${gateway}/auth/login`,
    connections: 8,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  })
  const pool = await Promise.all(
    Array.from({ length: 16 }, async () => (await loginPair()).refresh_token),
  )
  const refresh = await load({
    seconds: options.seconds,
    warmupSeconds: 0,
    url: gateway,
    connections: 16,
    requests: refreshRequests(pool),
  })
  return { replicas, me, login, refresh }
}
