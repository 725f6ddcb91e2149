import fp from 'fastify-plugin'
import { ClientRegistry } from '../../clients/client-registry.js'
import type { AuthConfig } from '../../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Clients of the client-credentials grant (internal services). */
    clients: ClientRegistry
  }
}

export default fp<{ config: AuthConfig; now: () => Date }>(
  async (fastify, { config, now }) => {
    fastify.decorate(
      'clients',
      new ClientRegistry({
        db: fastify.db,
        accessTokens: fastify.accessTokens,
        audit: fastify.auditTrail,
        now,
        defaultAudience: config.JWT_AUDIENCE,
      }),
    )
  },
  { name: 'clients', dependencies: ['database', 'signing-keys', 'accounts'], fastify: '5.x' },
)
