#!/usr/bin/env node
/**
 * `pnpm start`: the whole system on one machine with no configuration. Applies the migrations,
 * starts the auth-service and the users-service on loopback ports, waits until both are
 * healthy, and serves the development gateway on GATEWAY_PORT (8080). Ctrl-C (or SIGTERM)
 * stops the gateway, then both services, each finishing its in-flight requests.
 *
 * Configuration: the environment, plus `.env` in the working directory when it exists (Node's
 * own parser; a variable set in the real environment wins; never read when NODE_ENV is
 * production). Every variable the services read passes through to them; DATABASE_URL picks the
 * database for both (unset: SQLite in DATA_DIR, ./data/ by default, beside the development
 * key-encryption key); ISSUER unset follows GATEWAY_PORT. A PostgreSQL database that does not
 * exist yet is created (development only).
 */
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  ensurePostgresDatabase,
  migrateDatabase,
  parseDatabaseUrl,
  redactDatabaseUrl,
} from '@authpair/db'
import { loadConfig, loadEnvFileInDevelopment, withDerivedDefaults } from '@authpair/service-kit'
import type { z } from 'zod'
import { buildGateway } from './gateway.js'
import { LauncherConfigSchema } from './launcher-config.js'
import { type ServiceProcess, startService, stopService, waitHealthy } from './supervisor.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const say = (line: string) => console.log(`launcher: ${line}`)
const fail = (line: string): never => {
  console.error(`launcher: ${line}`)
  process.exit(1)
}

// Before anything reads the environment: .env fills in what the real environment leaves unset.
const envFile = loadEnvFileInDevelopment(process.env.NODE_ENV)
if (envFile === 'loaded') say('read .env (variables set in the environment win)')

let config: z.output<typeof LauncherConfigSchema>
let target: ReturnType<typeof parseDatabaseUrl>
try {
  config = loadConfig(LauncherConfigSchema, process.env)
} catch (error) {
  fail((error as Error).message)
  process.exit(1)
}
try {
  target = parseDatabaseUrl(process.env.DATABASE_URL, process.cwd(), config.DATA_DIR)
} catch (error) {
  fail(`invalid configuration: DATABASE_URL: ${(error as Error).message}`)
  process.exit(1)
}

const databaseUrl = target.dialect === 'postgres' ? target.url : target.path
const dataDir = resolve(config.DATA_DIR)
// The issuer the services will derive (or were given): named here so the developer sees it.
const issuer = withDerivedDefaults({
  ISSUER: process.env.ISSUER,
  GATEWAY_PORT: String(config.GATEWAY_PORT),
}).ISSUER
// The README's PostgreSQL command names a database nobody has made yet: make it. Development
// only; production databases are provisioned, and a missing one must fail loudly.
if (target.dialect === 'postgres' && process.env.NODE_ENV !== 'production') {
  try {
    if ((await ensurePostgresDatabase(target.url)) === 'created') {
      say(`created the database ${redactDatabaseUrl(target)}`)
    }
  } catch (error) {
    fail(`cannot reach ${redactDatabaseUrl(target)}: ${(error as Error).message}`)
  }
}
try {
  const result = await migrateDatabase(target)
  say(`database ${redactDatabaseUrl(target)}: ${result.applied} migration(s) applied`)
} catch (error) {
  fail(`cannot migrate ${redactDatabaseUrl(target)}: ${(error as Error).message}`)
}

const authUrl = `http://127.0.0.1:${config.AUTH_PORT}`
const usersUrl = `http://127.0.0.1:${config.USERS_PORT}`
const shared = {
  ...process.env,
  HOST: '127.0.0.1',
  DATABASE_URL: databaseUrl,
  DATA_DIR: dataDir,
  GATEWAY_PORT: String(config.GATEWAY_PORT),
  TRUST_PROXY: '127.0.0.1,::1',
}
const services: ServiceProcess[] = [
  startService('auth-service', resolve(root, 'services/auth-service/dist/server.js'), {
    ...shared,
    PORT: String(config.AUTH_PORT),
  }),
  startService('users-service', resolve(root, 'services/users-service/dist/server.js'), {
    ...shared,
    PORT: String(config.USERS_PORT),
    JWKS_URL: process.env.JWKS_URL ?? `${authUrl}/auth/.well-known/jwks.json`,
  }),
]

let stopping = false
async function stopAll(code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => {})
  stopping = true
  say('stopping')
  await gateway?.close().catch(() => {})
  await Promise.all(services.map((service) => stopService(service, 15_000)))
  say('stopped')
  process.exit(code)
}
let gateway: Awaited<ReturnType<typeof buildGateway>> | undefined
process.once('SIGINT', () => void stopAll(0))
process.once('SIGTERM', () => void stopAll(0))
for (const service of services) {
  void service.exited.then((code) => {
    if (stopping) return
    console.error(`launcher: ${service.name} exited unexpectedly (code ${code}); stopping`)
    void stopAll(1)
  })
}

try {
  await Promise.all([
    waitHealthy(services[0] as ServiceProcess, `${authUrl}/ready`, config.STARTUP_TIMEOUT_MS),
    waitHealthy(services[1] as ServiceProcess, `${usersUrl}/health`, config.STARTUP_TIMEOUT_MS),
  ])
  gateway = await buildGateway({
    authUpstream: authUrl,
    usersUpstream: usersUrl,
    adminAllowIps: config.ADMIN_ALLOW_IPS,
  })
  await gateway.listen({ host: config.GATEWAY_HOST, port: config.GATEWAY_PORT })
} catch (error) {
  const code = (error as { code?: string }).code
  console.error(
    `launcher: ${code === 'EADDRINUSE' ? `port ${config.GATEWAY_PORT} is already in use (set GATEWAY_PORT)` : (error as Error).message}`,
  )
  await stopAll(1)
}
say(`gateway ready on http://localhost:${config.GATEWAY_PORT}`)
say(`  database  ${redactDatabaseUrl(target)}`)
say(`  issuer    ${issuer}`)
say(`  JWKS      http://localhost:${config.GATEWAY_PORT}/.well-known/jwks.json`)
say(`  API docs  http://localhost:${config.GATEWAY_PORT}/auth/docs and /users/docs`)
say('Ctrl-C stops everything')
