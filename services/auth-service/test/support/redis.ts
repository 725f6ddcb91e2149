/**
 * The Redis the tests use (TEST_REDIS_URL), and the one rule for suites that need it: skipped
 * loudly when it cannot be reached, a failure when REQUIRE_REDIS=1 (CI).
 */
import { Redis } from 'ioredis'

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Whether TEST_REDIS_URL answers a PING; throws instead of returning false under REQUIRE_REDIS=1. */
export async function redisReachable(suite: string): Promise<boolean> {
  const probe = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1000,
    commandTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  probe.on('error', () => {})
  const reachable = await probe.connect().then(
    () => probe.ping().then(() => true),
    () => false,
  )
  probe.disconnect()
  if (!reachable) {
    if (process.env.REQUIRE_REDIS === '1') {
      throw new Error(`Redis is required (REQUIRE_REDIS=1) but ${TEST_REDIS_URL} is unreachable`)
    }
    console.warn(`\n!!! SKIPPED: ${suite}: ${TEST_REDIS_URL} is unreachable (CI requires them)\n`)
  }
  return reachable
}
