import { PasswordHasher, preloadPasswordList } from '@authpair/passwords'
import fp from 'fastify-plugin'
import { AccountService } from '../../accounts/account-service.js'
import type { AuthConfig } from '../../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    accounts: AccountService
    passwordHasher: PasswordHasher
  }
}

/** The account rules (AccountService) and the password hasher they use. */
export default fp<{ config: AuthConfig; now: () => Date }>(
  async (fastify, { config, now }) => {
    const hasher = new PasswordHasher({
      memoryKib: config.ARGON2_MEMORY_KIB,
      iterations: config.ARGON2_ITERATIONS,
      parallelism: config.ARGON2_PARALLELISM,
    })
    preloadPasswordList()
    fastify.decorate('passwordHasher', hasher)
    fastify.decorate(
      'accounts',
      new AccountService({
        db: fastify.db,
        config,
        hasher,
        accessTokens: fastify.accessTokens,
        now,
        log: fastify.log,
      }),
    )
  },
  { name: 'accounts', dependencies: ['database', 'signing-keys'], fastify: '5.x' },
)
