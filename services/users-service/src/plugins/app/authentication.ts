import type { Clock } from '@authpair/accounts'
import { jwtVerifyPlugin } from '@authpair/jwt-verify/fastify'
import fp from 'fastify-plugin'
import { Counter } from 'prom-client'
import type { UsersConfig } from '../../config.js'

/**
 * Access-token verification against the auth-service's JWKS (packages/jwt-verify), exactly as
 * any other internal service does it. JWKS trouble is logged and counted in /metrics.
 */
export default fp<{ config: UsersConfig; now: Clock }>(
  async (fastify, { config, now }) => {
    const fetches = new Counter({
      name: 'users_jwks_fetches_total',
      help: 'JWKS fetches by outcome (ok, failed_stale: failed while cached keys kept serving, failed_empty)',
      labelNames: ['outcome'] as const,
      registers: [fastify.metrics],
    })
    await fastify.register(jwtVerifyPlugin, {
      jwksUrl: config.JWKS_URL,
      now: () => now().getTime(),
      issuer: config.ISSUER,
      audience: config.JWT_AUDIENCE,
      algorithms: config.JWT_ALGORITHMS,
      clockToleranceSeconds: config.JWT_CLOCK_TOLERANCE_SECONDS,
      maxLifetimeSeconds: config.JWT_MAX_LIFETIME_SECONDS,
      jwks: { unknownKidCooldownMs: config.JWKS_UNKNOWN_KID_COOLDOWN_MS },
      onJwksEvent: (event) => {
        if (event.type === 'fetched') {
          fetches.inc({ outcome: 'ok' })
          fastify.log.info({ keys: event.keys, maxAgeSeconds: event.maxAgeSeconds }, 'JWKS fetched')
        } else if (event.type === 'fetch_failed') {
          fetches.inc({ outcome: event.servingStale ? 'failed_stale' : 'failed_empty' })
          fastify.log.warn(
            { err: event.error, servingStale: event.servingStale },
            event.servingStale
              ? 'JWKS fetch failed: verifying with the cached keys'
              : 'JWKS fetch failed and no keys are cached',
          )
        } else {
          fastify.log.warn({ kid: event.kid, reason: event.reason }, 'JWKS key ignored')
        }
      },
    })
  },
  { name: 'authentication', dependencies: ['metrics'], fastify: '5.x' },
)
