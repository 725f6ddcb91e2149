import { once } from 'node:events'
import type { FastifyBaseLogger } from 'fastify'
import fp from 'fastify-plugin'
import { Redis } from 'ioredis'
import { HttpProblem } from './problem.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** A limit over this service's counters (Redis when REDIS_URL is set, else memory). */
    rateLimit(name: string, max: number, windowMs: number): RateLimit
    /** Resolves when the counters' store answers (Redis PING; at once in memory): for /ready. */
    rateLimitStorePing(): Promise<void>
    /**
     * Wrong current passwords per signed-in user (password change, account deletion): the
     * same key in both services, so with Redis guesses through either add up.
     */
    passwordConfirmLimit: RateLimit
  }
}

/** A fixed-window counter: how many hits in the current window, and when the window ends. */
export interface WindowCount {
  count: number
  /** Milliseconds until the window (and its count) ends; 0 when nothing is counted. */
  resetInMs: number
}

/** Where counters live: this process's memory, or Redis (shared by every replica). */
export interface RateLimitStore {
  /** Counts one hit against `key`; the first hit starts a window of `windowMs`. */
  hit(key: string, windowMs: number): Promise<WindowCount>
  /** The current count, without counting. */
  peek(key: string): Promise<WindowCount>
  /** Forgets the key's count (a proven owner clears a lock). */
  reset(key: string): Promise<void>
}

/** Counters in this process: a limit then holds per replica. Bounded; expired keys are swept. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, { count: number; endsAt: number }>()

  constructor(
    private readonly now: () => number = Date.now,
    /** Keys kept at most; past it, expired ones are swept, then the oldest dropped. */
    private readonly maxKeys = 100_000,
  ) {}

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const now = this.now()
    let window = this.windows.get(key)
    if (!window || window.endsAt <= now) {
      if (this.windows.size >= this.maxKeys) this.sweep(now)
      window = { count: 0, endsAt: now + windowMs }
      this.windows.set(key, window)
    }
    window.count++
    return { count: window.count, resetInMs: window.endsAt - now }
  }

  async peek(key: string): Promise<WindowCount> {
    const now = this.now()
    const window = this.windows.get(key)
    if (!window || window.endsAt <= now) return { count: 0, resetInMs: 0 }
    return { count: window.count, resetInMs: window.endsAt - now }
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key)
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) {
      if (window.endsAt <= now) this.windows.delete(key)
    }
    // Still full of live windows (a flood of distinct keys): forget the oldest.
    for (const key of this.windows.keys()) {
      if (this.windows.size < this.maxKeys) break
      this.windows.delete(key)
    }
  }
}

/** INCR and, for the window's first hit, PEXPIRE, atomically; answers [count, ms left]. */
const HIT_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`

/** Counters in Redis: one count across every replica. Keys are `prefix` + key. */
export class RedisRateLimitStore implements RateLimitStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const [count, ttl] = (await this.redis.eval(HIT_SCRIPT, 1, this.prefix + key, windowMs)) as [
      number,
      number,
    ]
    return { count, resetInMs: Math.max(0, ttl) }
  }

  async peek(key: string): Promise<WindowCount> {
    const [[, count], [, ttl]] = (await this.redis
      .multi()
      .get(this.prefix + key)
      .pttl(this.prefix + key)
      .exec()) as [[null, string | null], [null, number]]
    return { count: Number(count ?? 0), resetInMs: Math.max(0, ttl) }
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(this.prefix + key)
  }
}

export interface RateLimitOptions {
  /** Namespaces the keys, and names the limit in logs. */
  name: string
  /** Hits allowed per window. */
  max: number
  /** The window, milliseconds. */
  windowMs: number
}

/**
 * One limit over a store: `consume` counts every attempt; `assertUnder` and `recordFailure`
 * count only failures (a lock that the right password does not feed). A store that cannot be
 * reached fails closed: 503 with Retry-After, never unlimited.
 */
export class RateLimit {
  constructor(
    private readonly store: RateLimitStore,
    readonly options: RateLimitOptions,
    private readonly log?: FastifyBaseLogger,
  ) {}

  /** Counts an attempt; 429 past `max`. */
  async consume(key: string): Promise<void> {
    const counted = await this.guard(() => this.store.hit(this.key(key), this.options.windowMs))
    if (counted.count > this.options.max) throw tooMany(counted.resetInMs)
  }

  /** 429 when `max` failures are already counted; counts nothing. */
  async assertUnder(key: string): Promise<void> {
    const counted = await this.guard(() => this.store.peek(this.key(key)))
    if (counted.count >= this.options.max) throw tooMany(counted.resetInMs)
  }

  /** Counts a failure; `lockedNow` is true for the one that reached `max` (once per window). */
  async recordFailure(key: string): Promise<{ lockedNow: boolean }> {
    const counted = await this.guard(() => this.store.hit(this.key(key), this.options.windowMs))
    return { lockedNow: counted.count === this.options.max }
  }

  async clear(key: string): Promise<void> {
    await this.guard(() => this.store.reset(this.key(key)))
  }

  private key(key: string): string {
    return `${this.options.name}:${key}`
  }

  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation()
    } catch (err) {
      this.log?.error(
        { err, limiter: this.options.name },
        'rate limiter unavailable: refusing (fail closed)',
      )
      throw new HttpProblem(503, 'service_unavailable', 'Try again shortly.', {
        headers: { 'retry-after': '5' },
        cause: err,
      })
    }
  }
}

function tooMany(resetInMs: number): HttpProblem {
  const retryAfter = String(Math.max(1, Math.ceil(resetInMs / 1000)))
  return new HttpProblem(429, 'rate_limited', `Too many attempts; retry in ${retryAfter} s.`, {
    headers: { 'retry-after': retryAfter },
  })
}

/**
 * The counters' store for a service: Redis at `redisUrl` (shared by every replica), else this
 * process's memory. `redis` is the client, for readiness checks and closing.
 */
export async function openRateLimitStore(
  options: { redisUrl: string | undefined; prefix: string; commandTimeoutMs: number },
  log: FastifyBaseLogger,
): Promise<{ store: RateLimitStore; redis: Redis | undefined }> {
  if (!options.redisUrl) return { store: new MemoryRateLimitStore(), redis: undefined }
  const redis = await connectRedis(options.redisUrl, options.commandTimeoutMs, log)
  return { store: new RedisRateLimitStore(redis, options.prefix), redis }
}

/**
 * A Redis client for counters that must never hold a request: no offline queue (a command
 * while disconnected fails at once, so the limit fails closed with 503). Waits for the first
 * connection (a fresh replica would otherwise answer its first requests 503), but a Redis that
 * is down does not hold the start-up.
 */
export async function connectRedis(
  url: string,
  /** How long a command may go unanswered, ms. */
  commandTimeoutMs: number,
  log: FastifyBaseLogger,
): Promise<Redis> {
  const redis = new Redis(url, {
    connectTimeout: 1000,
    // A Redis that accepts connections but never answers (frozen, partitioned) would hold
    // each limited request forever: a command unanswered after this fails, so the request
    // is a prompt 503. A connection that has answered nothing for four of them is
    // presumed dead and replaced: one whose peer vanished silently would otherwise stay
    // stuck until TCP gives up (about 15 minutes on Linux).
    commandTimeout: commandTimeoutMs,
    socketTimeout: 4 * commandTimeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: false,
  })
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis error'))
  // events.once rejects on the first 'error'.
  await once(redis, 'ready').catch(() => {})
  if (redis.status !== 'ready') {
    log.warn('redis unreachable at start: rate-limited routes answer 503 until it is')
  }
  return redis
}

export interface RateLimitStoreOptions {
  REDIS_URL?: string | undefined
  REDIS_COMMAND_TIMEOUT_MS: number
  RATE_LIMIT_REDIS_PREFIX: string
  RATE_LIMIT_PASSWORD_CONFIRM_PER_USER: number
}

/**
 * The counters' store as a plugin both services register (the settings of
 * rateLimitConfigShape): `fastify.rateLimit(...)` makes a limit over it, the Redis client is
 * closed with the app, and the one limit both services apply is made here once.
 */
export const rateLimitStore = fp<{ config: RateLimitStoreOptions }>(
  async (fastify, { config }) => {
    const { store, redis } = await openRateLimitStore(
      {
        redisUrl: config.REDIS_URL,
        prefix: config.RATE_LIMIT_REDIS_PREFIX,
        commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
      },
      fastify.log,
    )
    if (redis) {
      fastify.addHook('onClose', async () => {
        redis.disconnect()
      })
    }
    const make = (name: string, max: number, windowMs: number) =>
      new RateLimit(store, { name, max, windowMs }, fastify.log)
    fastify.decorate('rateLimit', make)
    fastify.decorate('rateLimitStorePing', async () => {
      await redis?.ping()
    })
    fastify.decorate(
      'passwordConfirmLimit',
      make('password-confirm', config.RATE_LIMIT_PASSWORD_CONFIRM_PER_USER, 15 * 60_000),
    )
  },
  { name: 'rate-limit-store', fastify: '5.x' },
)
