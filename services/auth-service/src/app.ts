import { databasePlugin } from '@authpair/db/fastify'
import { buildService, health, serviceBasics } from '@authpair/service-kit'
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyServerOptions,
  onRouteHookHandler,
} from 'fastify'
import type { AuthConfig } from './config.js'
import accounts from './plugins/app/accounts.js'
import authentication from './plugins/app/authentication.js'
import clients from './plugins/app/clients.js'
import mail from './plugins/app/mail.js'
import mfa from './plugins/app/mfa.js'
import oauth from './plugins/app/oauth.js'
import passkeys from './plugins/app/passkeys.js'
import rateLimits from './plugins/app/rate-limits.js'
import revocations from './plugins/app/revocations.js'
import signingKeys from './plugins/app/signing-keys.js'
import tokenDelivery from './plugins/app/token-delivery.js'
import adminRoutes from './routes/admin.js'
import adminClientRoutes from './routes/admin-clients.js'
import credentialRoutes from './routes/credentials.js'
import emailRoutes from './routes/email.js'
import mfaRoutes from './routes/mfa.js'
import oauthRoutes from './routes/oauth.js'
import passkeyRoutes from './routes/passkeys.js'
import revocationRoutes from './routes/revocations.js'
import sessionRoutes from './routes/sessions.js'
import tokenRoutes from './routes/token.js'
import wellKnownRoutes from './routes/well-known.js'

export interface AuthAppOptions {
  config: AuthConfig
  /** The clock every expiry is computed from; tests shift it. Default: the system clock. */
  now?: () => Date
}

/**
 * The auth-service as one plugin (fastify/demo's app.ts). Plugins are registered explicitly,
 * in dependency order, rather than autoloaded: the order is visible here and start-up does no
 * directory scanning.
 */
export const authApp: FastifyPluginAsync<AuthAppOptions> = async (fastify, options) => {
  const { config } = options
  const now = options.now ?? (() => new Date())

  await fastify.register(serviceBasics, {
    docs: {
      title: 'authpair auth-service',
      description: 'Registration, sign-in, sessions and tokens. Errors are RFC 9457 problem+json.',
      version: '0.1.0',
      routePrefix: '/auth/docs',
      exposed: config.DOCS_ENABLED,
      servers: [{ url: config.ISSUER, description: 'The gateway (ISSUER)' }],
      securitySchemes: {
        // The token endpoint's client_secret_basic (RFC 6749 §2.3.1).
        clientBasic: { type: 'http', scheme: 'basic' },
      },
    },
    metricsPrefix: 'auth_',
    corsOrigins: config.CORS_ORIGINS,
  })
  await fastify.register(databasePlugin, {
    target: config.DATABASE_URL,
    poolMax: config.DB_POOL_MAX,
    queryTimeoutMs: config.DB_QUERY_TIMEOUT_MS,
  })
  await fastify.register(signingKeys, { config, now })
  await fastify.register(rateLimits, { config })
  await fastify.register(accounts, { config, now })
  await fastify.register(mfa, { config, now })
  await fastify.register(passkeys, { config, now })
  await fastify.register(authentication, { config, now })
  await fastify.register(clients, { config, now })
  await fastify.register(mail, { config, now })
  await fastify.register(oauth, { config, now })
  await fastify.register(tokenDelivery, { config })
  await fastify.register(revocations, { config, now })
  await fastify.register(health, {
    checks: {
      database: () => fastify.db.ping(),
      signing_keys: async () => {
        if (!fastify.keys.ready) throw new Error('no signing key loaded yet')
      },
      // Without Redis the limited routes answer 503 (they fail closed), so it is a dependency.
      ...(config.REDIS_URL ? { redis: () => fastify.rateLimitStorePing() } : {}),
    },
  })

  // routes
  await fastify.register(wellKnownRoutes, { config })
  await fastify.register(revocationRoutes, { config })
  await fastify.register(credentialRoutes)
  await fastify.register(sessionRoutes)
  await fastify.register(emailRoutes)
  await fastify.register(mfaRoutes)
  await fastify.register(passkeyRoutes, { config })
  await fastify.register(oauthRoutes, { config })
  await fastify.register(adminRoutes, { config, now })
  await fastify.register(adminClientRoutes)
  await fastify.register(tokenRoutes, { now })
}

export interface BuildAuthAppOptions extends AuthAppOptions {
  logger?: FastifyServerOptions['logger']
  /** Test instrumentation only (see BuildServiceOptions.onRoute); server.ts leaves it unset. */
  onRoute?: onRouteHookHandler
}

/** The factory tests and server.ts share: a validated config in, a ready-to-listen app out. */
export function buildAuthApp({
  logger,
  onRoute,
  ...appOptions
}: BuildAuthAppOptions): Promise<FastifyInstance> {
  return buildService({
    name: 'auth-service',
    config: appOptions.config,
    ...(logger !== undefined ? { logger } : {}),
    ...(onRoute ? { onRoute } : {}),
    app: authApp,
    appOptions,
  })
}

// The decorators' type augmentations (fastify.db, .keys, .accessTokens) travel with the factory.
export type {} from '@authpair/db/fastify'
export { type AuthConfig, AuthConfigSchema, loadAuthConfig } from './config.js'
export type {} from './plugins/app/accounts.js'
export type {} from './plugins/app/authentication.js'
export type {} from './plugins/app/clients.js'
export type {} from './plugins/app/mail.js'
export type {} from './plugins/app/mfa.js'
export type {} from './plugins/app/oauth.js'
export type {} from './plugins/app/passkeys.js'
export type {} from './plugins/app/rate-limits.js'
export type {} from './plugins/app/signing-keys.js'
