#!/usr/bin/env node
/**
 * `pnpm start:prod-shape`: the production topology without Docker — real nginx in front of two
 * replicas of each service, on PostgreSQL (DATABASE_URL, required) and Redis (REDIS_URL,
 * default redis://127.0.0.1:6379). Ctrl-C stops everything. PROD_SHAPE_REPLICAS (default 2),
 * PROD_SHAPE_CPUS (`taskset -c` for the services and nginx), RATE_LIMIT_* and LOG_LEVEL for the
 * services, AUTHPAIR_<LOGIN|REGISTER|FORGOT|REFRESH>_RATE for nginx: the bench sets them.
 */
import { nginxAvailable, startProdShape } from './prod-shape.js'

const databaseUrl = process.env.DATABASE_URL
if (!databaseUrl?.startsWith('postgres')) {
  console.error('prod-shape: set DATABASE_URL to a postgres:// URL (the production database)')
  process.exit(1)
}
const nginx = nginxAvailable()
if (!nginx.ok) {
  console.error(`prod-shape: ${nginx.reason}; install it (apt-get install nginx)`)
  process.exit(1)
}
// The services get a fresh environment; these pass through to them (the bench lifts the limits).
const passed = Object.fromEntries(
  Object.entries(process.env).filter(
    (entry): entry is [string, string] =>
      /^(RATE_LIMIT_\w+|LOG_LEVEL)$/.test(entry[0]) && entry[1] !== undefined,
  ),
)
// nginx's per-address rates (nginx/README.md), e.g. AUTHPAIR_LOGIN_RATE=100r/s.
const rates = Object.fromEntries(
  (['login', 'register', 'forgot', 'refresh'] as const)
    .map((name) => [name, process.env[`AUTHPAIR_${name.toUpperCase()}_RATE`]] as const)
    .filter((entry): entry is readonly [(typeof entry)[0], string] => entry[1] !== undefined),
)
const shape = await startProdShape({
  databaseUrl,
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  gatewayPort: Number(process.env.GATEWAY_PORT ?? 8080),
  adminAllowIps: (process.env.ADMIN_ALLOW_IPS ?? '127.0.0.1').split(',').map((s) => s.trim()),
  replicas: Number(process.env.PROD_SHAPE_REPLICAS ?? 2),
  env: passed,
  rates,
  ...(process.env.PROD_SHAPE_CPUS ? { cpus: process.env.PROD_SHAPE_CPUS } : {}),
})
console.log(
  `prod-shape: nginx on ${shape.gatewayUrl}, in front of ${shape.services.map((s) => `${s.name}:${s.port}`).join(', ')}`,
)
const stop = async () => {
  await shape.stop()
  process.exit(0)
}
process.once('SIGINT', () => void stop())
process.once('SIGTERM', () => void stop())
