import { type Clock, systemClock } from '@authpair/accounts'
import { databasePlugin } from '@authpair/db/fastify'
import { buildService, health, rateLimitStore, serviceBasics } from '@authpair/service-kit'
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyServerOptions,
  onRouteHookHandler,
} from 'fastify'
import type { UsersConfig } from './config.js'
import accounts from './plugins/app/accounts.js'
import authentication from './plugins/app/authentication.js'
import profiles from './plugins/app/profiles.js'
import adminAuditRoutes from './routes/admin-audit.js'
import adminUserRoutes from './routes/admin-users.js'
import meRoutes from './routes/me.js'
import userByIdRoutes, { USERS_READ_SCOPE } from './routes/user-by-id.js'

export interface UsersAppOptions {
  config: UsersConfig
  /** The clock every rule reads the time from; tests move it. Default: the system clock. */
  now?: Clock
}

/**
 * The users-service as one plugin (fastify/demo's app.ts), plugins registered explicitly in
 * dependency order.
 */
export const usersApp: FastifyPluginAsync<UsersAppOptions> = async (fastify, options) => {
  const { config } = options
  const now = options.now ?? systemClock
  await fastify.register(serviceBasics, {
    docs: {
      title: 'authpair users-service',
      description: 'Profiles and the admin API. Errors are RFC 9457 problem+json.',
      version: '0.1.0',
      routePrefix: '/users/docs',
      exposed: config.DOCS_ENABLED,
      servers: [{ url: config.ISSUER, description: 'The gateway (ISSUER)' }],
      securitySchemes: {
        clientCredentials: {
          type: 'oauth2',
          description:
            'A client token: the client-credentials grant at the auth-service (RFC 6749 §4.4).',
          flows: {
            clientCredentials: {
              tokenUrl: '/auth/token',
              scopes: { [USERS_READ_SCOPE]: 'Look users up by id (GET /users/{id})' },
            },
          },
        },
      },
    },
    metricsPrefix: 'users_',
    corsOrigins: config.CORS_ORIGINS,
  })
  await fastify.register(databasePlugin, {
    target: config.DATABASE_URL,
    poolMax: config.DB_POOL_MAX,
    queryTimeoutMs: config.DB_QUERY_TIMEOUT_MS,
  })
  await fastify.register(authentication, { config, now })
  await fastify.register(rateLimitStore, { config })
  await fastify.register(accounts, { config, now })
  await fastify.register(profiles, { config, now })
  // Readiness is the database (and Redis, which the limits need): the JWKS is fetched lazily,
  // and the service keeps verifying with cached keys while the auth-service is down, so that
  // is not "not ready".
  await fastify.register(health, {
    checks: {
      database: () => fastify.db.ping(),
      ...(config.REDIS_URL ? { redis: () => fastify.rateLimitStorePing() } : {}),
    },
  })

  // routes
  await fastify.register(meRoutes, { config, now })
  await fastify.register(userByIdRoutes)
  await fastify.register(adminUserRoutes)
  await fastify.register(adminAuditRoutes)
}

export interface BuildUsersAppOptions extends UsersAppOptions {
  logger?: FastifyServerOptions['logger']
  /** Test instrumentation only (see BuildServiceOptions.onRoute); server.ts leaves it unset. */
  onRoute?: onRouteHookHandler
}

/** The factory tests and server.ts share: a validated config in, a ready-to-listen app out. */
export function buildUsersApp({
  logger,
  onRoute,
  ...appOptions
}: BuildUsersAppOptions): Promise<FastifyInstance> {
  return buildService({
    name: 'users-service',
    config: appOptions.config,
    ...(logger !== undefined ? { logger } : {}),
    ...(onRoute ? { onRoute } : {}),
    app: usersApp,
    appOptions,
  })
}

// The decorators' type augmentations (fastify.db, .authenticate, request.user) travel with it.
export type {} from '@authpair/db/fastify'
export type {} from '@authpair/jwt-verify/fastify'
export { loadUsersConfig, type UsersConfig, UsersConfigSchema } from './config.js'
