import { type Clock, profileOf } from '@authpair/accounts'
import { ProfileSchema } from '@authpair/contracts'
import type { UserChangeSubscription } from '@authpair/db'
import type { onSendHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, Gauge } from 'prom-client'
import type { UsersConfig } from '../../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** GET /users/me's profiles, kept in memory while the user change feed is heard. */
    profiles: Profiles
  }
}

export interface Profiles {
  /**
   * The active user's profile as the JSON GET /users/me answers (checked against ProfileSchema,
   * unknown keys dropped, as the response serializer would), or undefined for a user who is
   * gone or deactivated.
   */
  body(userId: string): Promise<string | undefined>
}

/**
 * A bounded map of serialized profiles. `generation` moves on every forget, so a read that was
 * in flight when a change arrived is not kept (it may hold the rows from before the change).
 */
export class ProfileCache {
  private readonly entries = new Map<string, { body: string; until: number }>()
  private generationCount = 0

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get generation(): number {
    return this.generationCount
  }

  get size(): number {
    return this.entries.size
  }

  get(userId: string): string | undefined {
    const entry = this.entries.get(userId)
    if (entry === undefined) return undefined
    if (entry.until > this.now()) return entry.body
    this.entries.delete(userId)
    return undefined
  }

  /** Keeps `body` unless something was forgotten since `generation` was read. */
  set(userId: string, body: string, generation: number): void {
    if (generation !== this.generationCount || this.max === 0) return
    if (this.entries.size >= this.max && !this.entries.has(userId)) {
      // The oldest insertion goes first: bounded, and no bookkeeping on a hit.
      const oldest = this.entries.keys().next()
      if (!oldest.done) this.entries.delete(oldest.value)
    }
    this.entries.set(userId, { body, until: this.now() + this.ttlMs })
  }

  forget(userId: string): void {
    this.generationCount++
    this.entries.delete(userId)
  }

  clear(): void {
    this.generationCount++
    this.entries.clear()
  }
}

/**
 * GET /users/me without a database read per request (issue 19): the profile is built once,
 * serialized once, and served from memory until the user change feed says one of its rows
 * changed (any writer: the auth-service, this service, `pnpm manage`, another replica). On
 * SQLite every lookup first reads the feed's new rows, so a change committed before the request
 * is always seen; on PostgreSQL the change arrives by NOTIFY a few ms after its commit (measured
 * in bench/README.md), and this process's own writes forget at once. Once the loss of PostgreSQL's
 * listening connection is noticed, nothing kept is served, and everything is forgotten when it
 * listens again (notifications sent in between were lost); before it is noticed (at once for a
 * reset connection, at TCP keepalive's pace for a silent one) the 60 s bound is the backstop. Token revocation is
 * not this cache's business: the verifier's revocation feed refuses an ended session's token
 * before the profile is looked up.
 */
export default fp<{ config: UsersConfig; now: Clock }>(
  async (fastify, { config, now }) => {
    const db = fastify.db
    const cache = new ProfileCache(
      config.PROFILE_CACHE_MAX,
      config.PROFILE_CACHE_TTL_SECONDS * 1000,
      () => now().getTime(),
    )
    let feed: UserChangeSubscription | undefined
    if (config.PROFILE_CACHE_MAX > 0) {
      feed = await db.userChanges.follow({
        changed: (userId) => cache.forget(userId),
        reset: () => cache.clear(),
      })
      const subscription = feed
      fastify.addHook('onClose', async () => {
        await subscription.close()
      })
    }
    const lookups = new Counter({
      name: 'users_profile_cache_lookups_total',
      help: 'GET /users/me profile lookups: hit (served from memory) or miss (read from the database)',
      labelNames: ['outcome'] as const,
      registers: [fastify.metrics],
    })
    const hits = lookups.labels('hit')
    const misses = lookups.labels('miss')
    new Gauge({
      name: 'users_profile_cache_entries',
      help: 'Profiles kept in memory',
      registers: [fastify.metrics],
      collect() {
        this.set(cache.size)
      },
    })

    const profiles: Profiles = {
      async body(userId) {
        const live = feed?.live === true
        if (live) {
          feed?.catchUp()
          const kept = cache.get(userId)
          if (kept !== undefined) {
            hits.inc()
            return kept
          }
        }
        misses.inc()
        const generation = cache.generation
        const user = await db.users.findById(userId)
        if (!user?.isActive) return undefined
        const body = JSON.stringify(ProfileSchema.parse(await profileOf(db, user)))
        if (live && feed?.live === true) cache.set(userId, body, generation)
        return body
      },
    }
    fastify.decorate('profiles', profiles)

    // This process's own account changes (PATCH/DELETE /users/me, the admin API) are forgotten
    // before their answer leaves, so the caller's next GET sees them whatever the feed's delay:
    // every route that may write forgets everything (they are few and rare); reads pay nothing.
    const forgetOnSend: onSendHookHandler = (_request, _reply, payload, done) => {
      cache.clear()
      done(null, payload)
    }
    fastify.addHook('onRoute', (route) => {
      const methods = [route.method].flat()
      if (methods.every((method) => method === 'GET' || method === 'HEAD')) return
      route.onSend = [...[route.onSend ?? []].flat(), forgetOnSend]
    })
  },
  { name: 'profiles', dependencies: ['database', 'metrics'], fastify: '5.x' },
)
