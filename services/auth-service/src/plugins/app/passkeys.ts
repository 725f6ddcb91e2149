import fp from 'fastify-plugin'
import type { AuthConfig } from '../../config.js'
import { PasskeyService } from '../../passkeys/passkey-service.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Passkeys: WebAuthn registration, sign-in, list, rename, delete. */
    passkeys: PasskeyService
  }
}

export default fp<{ config: AuthConfig; now: () => Date }>(
  async (fastify, { config, now }) => {
    fastify.decorate(
      'passkeys',
      new PasskeyService({
        db: fastify.db,
        config,
        accounts: fastify.accounts,
        auditTrail: fastify.auditTrail,
        now,
      }),
    )
  },
  { name: 'passkeys', dependencies: ['accounts'], fastify: '5.x' },
)
