/**
 * The production topology on one machine without Docker: the real nginx (Debian's package),
 * rendered from the same template as the gateway image, in front of N replicas of each service
 * on loopback ports, on PostgreSQL and Redis. Used by `pnpm start:prod-shape` and by the
 * end-to-end suite.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { migrateDatabase, parseDatabaseUrl } from '@authpair/db'
import { freePort } from '@authpair/service-kit/testing'

const root = fileURLToPath(new URL('../../../', import.meta.url))

/** The loopback address nginx connects to the services from (Linux routes all of 127/8). */
export const GATEWAY_BIND = '127.0.0.2'

export interface ProdShapeOptions {
  databaseUrl: string
  redisUrl: string
  replicas?: number
  gatewayPort?: number
  adminAllowIps?: string[]
  /** Extra environment for both services. */
  env?: Record<string, string>
  /** nginx's rates (e.g. { login: '100r/s' }). */
  rates?: Record<string, string>
  /** Run the services and nginx on these CPUs only (`taskset -c`), e.g. '0' in the bench. */
  cpus?: string
}

export interface RunningService {
  name: string
  port: number
  child: ChildProcess
  /** Everything it logged (pino JSON lines). */
  logs: string[]
}

export interface ProdShape {
  gatewayUrl: string
  services: RunningService[]
  nginxDir: string
  stop(): Promise<void>
}

export function nginxAvailable(): { ok: boolean; reason?: string } {
  const probe = spawnSync('nginx', ['-v'], { encoding: 'utf8' })
  if (probe.error) return { ok: false, reason: `nginx is not installed (${probe.error.message})` }
  return { ok: true }
}

async function waitFor(url: string, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`)
    const ok = await fetch(url).then(
      (r) => r.status < 500,
      () => false,
    )
    if (ok) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`${what} did not come up`)
}

export async function startProdShape(options: ProdShapeOptions): Promise<ProdShape> {
  const replicas = options.replicas ?? 2
  const command = (program: string, args: string[]): [string, string[]] =>
    options.cpus === undefined
      ? [program, args]
      : ['taskset', ['-c', options.cpus, program, ...args]]
  const target = parseDatabaseUrl(options.databaseUrl)
  await migrateDatabase(target)
  const dataDir = mkdtempSync(join(tmpdir(), 'authpair-prod-shape-'))
  const shared = {
    PATH: process.env.PATH ?? '',
    HOST: '127.0.0.1',
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    // nginx is the only proxy the services believe: it connects to them from an address of its
    // own (proxy_bind), so a process on this host reaching a service port from 127.0.0.1 with
    // an X-Forwarded-For of its choosing is not believed.
    TRUST_PROXY: GATEWAY_BIND,
    DATA_DIR: dataDir,
    KEY_ENCRYPTION_KEY:
      process.env.KEY_ENCRYPTION_KEY ?? 'prod-shape-key-encryption-key-0123456789abc',
    LOG_LEVEL: 'info',
    ...options.env,
  }
  const services: RunningService[] = []
  let nginx: ChildProcess | undefined
  const stopAll = async () => {
    if (nginx && nginx.exitCode === null) {
      nginx.kill('SIGQUIT') // graceful shutdown
      await once(nginx, 'exit')
    }
    await Promise.all(
      services.map(async (s) => {
        if (s.child.exitCode !== null) return
        s.child.kill('SIGTERM')
        await once(s.child, 'exit')
      }),
    )
  }
  try {
    return await startAll()
  } catch (error) {
    await stopAll() // nothing is left running after a failed start
    throw error
  }

  async function startAll(): Promise<ProdShape> {
    const launch = async (name: string, script: string, env: Record<string, string>) => {
      const port = await freePort()
      const child = spawn(...command(process.execPath, [resolve(root, script)]), {
        env: { ...shared, ...env, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      const logs: string[] = []
      child.stdout?.on('data', (chunk) => logs.push(...String(chunk).split('\n').filter(Boolean)))
      child.stderr?.on('data', (chunk) => logs.push(...String(chunk).split('\n').filter(Boolean)))
      const service = { name, port, child, logs }
      services.push(service)
      await waitFor(`http://127.0.0.1:${port}/health`, child, name)
      return service
    }
    // The first auth replica creates the signing key; the others load it.
    const auth = [await launch('auth-1', 'services/auth-service/dist/server.js', {})]
    for (let i = 2; i <= replicas; i++) {
      auth.push(await launch(`auth-${i}`, 'services/auth-service/dist/server.js', {}))
    }
    const users: RunningService[] = []
    for (let i = 1; i <= replicas; i++) {
      users.push(
        await launch(`users-${i}`, 'services/users-service/dist/server.js', {
          JWKS_URL: `http://127.0.0.1:${auth[0]?.port}/auth/.well-known/jwks.json`,
        }),
      )
    }

    const gatewayPort = options.gatewayPort ?? (await freePort())
    const nginxDir = mkdtempSync(join(tmpdir(), 'authpair-nginx-'))
    const { renderGateway } = (await import(resolve(root, 'nginx/render.mjs'))) as {
      renderGateway: (o: Record<string, unknown>) => { conf: string }
    }
    const { conf } = renderGateway({
      dir: nginxDir,
      listen: `127.0.0.1:${gatewayPort}`,
      authUpstreams: auth.map((s) => `127.0.0.1:${s.port}`),
      usersUpstreams: users.map((s) => `127.0.0.1:${s.port}`),
      adminAllowIps: options.adminAllowIps ?? ['127.0.0.1'],
      rates: options.rates ?? {},
      upstreamBind: GATEWAY_BIND,
    })
    nginx = spawn(...command('nginx', ['-p', nginxDir, '-c', conf, '-g', 'daemon off;']), {
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`
    await waitFor(`${gatewayUrl}/.well-known/jwks.json`, nginx, 'nginx')
    return { gatewayUrl, services, nginxDir, stop: stopAll }
  }
}
