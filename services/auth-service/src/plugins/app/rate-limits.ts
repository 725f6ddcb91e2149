import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { HttpProblem } from '@authpair/service-kit'
import rateLimit from '@fastify/rate-limit'
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { Redis } from 'ioredis'
import type { AuthConfig } from '../../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandlers that answer 429 problem+json (with Retry-After) past each limit. */
    limits: {
      loginPerIp: preHandlerAsyncHookHandler
      loginPerAccount: preHandlerAsyncHookHandler
      registerPerIp: preHandlerAsyncHookHandler
      refreshPerIp: preHandlerAsyncHookHandler
      forgotPerIp: preHandlerAsyncHookHandler
      forgotPerEmail: preHandlerAsyncHookHandler
    }
    /** Resolves when the limit counters' store answers (Redis PING); for /ready. */
    rateLimitStorePing: () => Promise<void>
  }
}

const MINUTE = 60_000

/** Accounts are keyed by a hash of the normalized email: no address is written to Redis. */
function accountKey(request: FastifyRequest): string {
  const email = (request.body as { email?: unknown } | undefined)?.email
  const normalized = typeof email === 'string' ? email.trim().toLowerCase() : ''
  return createHash('sha256').update(normalized).digest('base64url')
}

/**
 * Brute-force limits on the credential routes (@fastify/rate-limit). With REDIS_URL the
 * counters live in Redis, so a limit holds across replicas; otherwise in this process's memory.
 * A Redis that cannot be reached fails closed: the limited route answers 503, never unlimited.
 * The client address is request.ip, i.e. what the gateway (the only trusted proxy) saw.
 */
export default fp<{ config: AuthConfig }>(
  async (fastify, { config }) => {
    let redis: Redis | undefined
    if (config.REDIS_URL) {
      redis = new Redis(config.REDIS_URL, {
        // Fail fast instead of queueing: a limiter that waits for Redis holds the request.
        connectTimeout: 1000,
        // A Redis that accepts connections but never answers (frozen, partitioned) would hold
        // each limited request forever: a command unanswered after this fails, so the request
        // is a prompt 503. A connection that has answered nothing for four of them is
        // presumed dead and replaced: one whose peer vanished silently would otherwise stay
        // stuck until TCP gives up (about 15 minutes on Linux).
        commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
        socketTimeout: 4 * config.REDIS_COMMAND_TIMEOUT_MS,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        lazyConnect: false,
      })
      redis.on('error', (err) => fastify.log.warn({ err: err.message }, 'redis error'))
      fastify.addHook('onClose', async () => {
        redis?.disconnect()
      })
      // Without an offline queue, a command sent before the connection is up fails at once:
      // wait for the first connection (or its first failure) so a fresh replica does not
      // answer its first requests 503. A Redis that is down does not hold the start-up.
      // events.once rejects on the first 'error'.
      await once(redis, 'ready').catch(() => {})
      if (redis.status !== 'ready') {
        fastify.log.warn('redis unreachable at start: rate-limited routes answer 503 until it is')
      }
    }
    fastify.decorate('rateLimitStorePing', async () => {
      await redis?.ping()
    })
    await fastify.register(rateLimit, {
      global: false,
      ...(redis ? { redis, nameSpace: config.RATE_LIMIT_REDIS_PREFIX } : {}),
      skipOnError: false,
    })

    const limiter = (
      name: string,
      max: number,
      timeWindow: number,
      key: (request: FastifyRequest) => string,
    ): preHandlerAsyncHookHandler => {
      const check = fastify.createRateLimit({
        max,
        timeWindow,
        keyGenerator: (request) => `${name}:${key(request)}`,
      })
      return async (request, reply) => {
        let result: Awaited<ReturnType<typeof check>>
        try {
          result = await check(request)
        } catch (err) {
          request.log.error(
            { err, limiter: name },
            'rate limiter unavailable: refusing (fail closed)',
          )
          throw new HttpProblem(503, 'service_unavailable', 'Try again shortly.', {
            headers: { 'retry-after': '5' },
          })
        }
        if (!result.isAllowed && result.isExceeded) {
          const retryAfter = String(Math.max(1, result.ttlInSeconds))
          reply.header('retry-after', retryAfter)
          throw new HttpProblem(
            429,
            'rate_limited',
            `Too many attempts; retry in ${retryAfter} s.`,
            {
              headers: { 'retry-after': retryAfter },
            },
          )
        }
      }
    }

    fastify.decorate('limits', {
      loginPerIp: limiter('login-ip', config.RATE_LIMIT_LOGIN_PER_IP, MINUTE, (r) => r.ip),
      loginPerAccount: limiter(
        'login-account',
        config.RATE_LIMIT_LOGIN_PER_ACCOUNT,
        15 * MINUTE,
        accountKey,
      ),
      registerPerIp: limiter(
        'register-ip',
        config.RATE_LIMIT_REGISTER_PER_IP,
        60 * MINUTE,
        (r) => r.ip,
      ),
      refreshPerIp: limiter('refresh-ip', config.RATE_LIMIT_REFRESH_PER_IP, MINUTE, (r) => r.ip),
      forgotPerIp: limiter('forgot-ip', config.RATE_LIMIT_FORGOT_PER_IP, 60 * MINUTE, (r) => r.ip),
      forgotPerEmail: limiter(
        'forgot-email',
        config.RATE_LIMIT_FORGOT_PER_EMAIL,
        60 * MINUTE,
        accountKey,
      ),
    })
  },
  { name: 'rate-limits', fastify: '5.x' },
)
