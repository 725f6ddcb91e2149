#!/usr/bin/env node
/**
 * `pnpm start:prod-shape`: the production topology without Docker — real nginx in front of two
 * replicas of each service, on PostgreSQL (DATABASE_URL, required) and Redis (REDIS_URL,
 * default redis://127.0.0.1:6379). Ctrl-C stops everything.
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
const shape = await startProdShape({
  databaseUrl,
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  gatewayPort: Number(process.env.GATEWAY_PORT ?? 8080),
  adminAllowIps: (process.env.ADMIN_ALLOW_IPS ?? '127.0.0.1').split(',').map((s) => s.trim()),
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
