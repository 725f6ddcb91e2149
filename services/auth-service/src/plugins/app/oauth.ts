import fp from 'fastify-plugin'
import type { AuthConfig } from '../../config.js'
import { OAuthService } from '../../oauth/oauth-service.js'
import { registerProviderFlows } from '../../oauth/provider-flow.js'
import { configuredProviders } from '../../oauth/providers.js'

declare module 'fastify' {
  interface FastifyInstance {
    oauth: OAuthService
  }
}

export default fp<{ config: AuthConfig; now: () => Date }>(
  async (fastify, { config, now }) => {
    const providers = configuredProviders(config)
    if (providers.size > 0 && config.OAUTH_REDIRECT_URIS.length === 0) {
      fastify.log.warn(
        'OAuth providers are configured but OAUTH_REDIRECT_URIS is empty: every authorize is refused',
      )
    }
    // The callback URL registered with each provider (README, "How the flows work").
    const flows = await registerProviderFlows(
      fastify,
      providers.values(),
      (id) => `${config.ISSUER}/auth/oauth/${id}/callback`,
    )
    fastify.decorate(
      'oauth',
      new OAuthService({
        db: fastify.db,
        config,
        providers,
        flows,
        accounts: fastify.accounts,
        rules: fastify.accountRules,
        cookieKey: fastify.cookieKey,
        now,
        log: fastify.log,
      }),
    )
  },
  { name: 'oauth', dependencies: ['accounts', 'signing-keys'], fastify: '5.x' },
)
