import fp from 'fastify-plugin'
import type { AuthConfig } from '../../config.js'
import { RevocationFeed } from '../../revocations/revocation-feed.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Sessions ended and users disabled, for verifiers that never read our database. */
    revocationFeed: RevocationFeed
  }
}

/** The verifiers' clock skew allowance on top of the token lifetime, ms (jwt-verify's max). */
const SKEW_MS = 60_000
/** How often entries past every token's lifetime are dropped, ms. */
const PRUNE_EVERY_MS = 5 * 60_000

export default fp<{ config: AuthConfig; now: () => Date }>(
  async (fastify, { config, now }) => {
    const feed = new RevocationFeed({
      db: fastify.db,
      now,
      keepMs: config.ACCESS_TOKEN_TTL_SECONDS * 1000 + SKEW_MS,
      pollMs: config.REVOCATION_FEED_POLL_MS,
    })
    fastify.decorate('revocationFeed', feed)
    const pruner = setInterval(() => {
      feed.prune().catch((error) => fastify.log.warn({ err: error }, 'revocation prune failed'))
    }, PRUNE_EVERY_MS)
    pruner.unref()
    // preClose: long polls are answered before the server waits for in-flight requests.
    fastify.addHook('preClose', async () => {
      clearInterval(pruner)
      feed.close()
    })
  },
  { name: 'revocations', dependencies: ['database'], fastify: '5.x' },
)
