import type { Clock } from '@authpair/accounts'
import type { RevocationEvent } from '@authpair/jwt-verify'
import { jwtVerifyPlugin } from '@authpair/jwt-verify/fastify'
import fp from 'fastify-plugin'
import { Counter, Gauge } from 'prom-client'
import type { UsersConfig } from '../../config.js'

/**
 * Access-token verification against the auth-service's JWKS (packages/jwt-verify), exactly as
 * any other internal service does it, revocation feed included. JWKS and feed trouble is logged
 * and counted in /metrics.
 */
export default fp<{ config: UsersConfig; now: Clock }>(
  async (fastify, { config, now }) => {
    const fetches = new Counter({
      name: 'users_jwks_fetches_total',
      help: 'JWKS fetches by outcome (ok, failed_stale: failed while cached keys kept serving, failed_empty)',
      labelNames: ['outcome'] as const,
      registers: [fastify.metrics],
    })
    const feedFailures = new Counter({
      name: 'users_revocation_feed_failures_total',
      help: 'Failed requests to the revocation feed (verification goes on with the last state)',
      registers: [fastify.metrics],
    })
    const revocation = config.REVOCATION_CHECK
      ? {
          url: config.REVOCATION_FEED_URL ?? new URL('/revocations', config.JWKS_URL).href,
          ...(config.REVOCATION_FAIL_CLOSED_AFTER_SECONDS !== undefined
            ? { failClosedAfterSeconds: config.REVOCATION_FAIL_CLOSED_AFTER_SECONDS }
            : {}),
          onEvent: (event: RevocationEvent) => {
            if (event.type === 'sync_failed') {
              feedFailures.inc()
              fastify.log.warn(
                { err: event.error, staleForMs: event.staleForMs },
                'revocation feed unreachable: verifying with the last known revocations',
              )
            } else if (event.type === 'entries_dropped') {
              fastify.log.error({ dropped: event.dropped }, 'revocation set full: entries dropped')
            }
          },
        }
      : undefined
    await fastify.register(jwtVerifyPlugin, {
      ...(revocation ? { revocation } : {}),
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
    if (revocation) {
      new Gauge({
        name: 'users_revocation_feed_stale_seconds',
        help: 'Seconds since the revocation feed last answered',
        registers: [fastify.metrics],
        collect() {
          const status = fastify.jwtVerifier.revocations?.status()
          if (status) this.set(status.staleForMs / 1000)
        },
      })
    }
  },
  { name: 'authentication', dependencies: ['metrics'], fastify: '5.x' },
)
