import fp from 'fastify-plugin'
import type { AuthConfig } from '../../config.js'
import { MfaService } from '../../mfa/mfa-service.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The second factor: enrolment, recovery codes, the mfa_token step, admin removal. */
    mfa: MfaService
  }
}

export default fp<{ config: AuthConfig; now: () => Date }>(
  async (fastify, { config, now }) => {
    fastify.decorate(
      'mfa',
      new MfaService({
        db: fastify.db,
        config,
        accounts: fastify.accounts,
        auditTrail: fastify.auditTrail,
        throttle: fastify.signInThrottle,
        secretSeal: fastify.totpSecretSeal,
        now,
      }),
    )
  },
  { name: 'mfa', dependencies: ['accounts', 'signing-keys', 'rate-limits'], fastify: '5.x' },
)
