import { PasswordHasher, preloadPasswordList } from '@authpair/passwords'
import fp from 'fastify-plugin'
import { AccountService } from '../../accounts/account-service.js'
import type { AuthConfig } from '../../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    accounts: AccountService
    passwordHasher: PasswordHasher
    /**
     * Runs work after the response (password/forgot): failures are logged, and closing the
     * server waits for what is still running.
     */
    runInBackground: (name: string, task: () => Promise<void>) => void
  }
}

/** The account rules (AccountService) and the password hasher they use. */
export default fp<{ config: AuthConfig; now: () => Date }>(
  async (fastify, { config, now }) => {
    const hasher = new PasswordHasher({
      memoryKib: config.ARGON2_MEMORY_KIB,
      iterations: config.ARGON2_ITERATIONS,
      parallelism: config.ARGON2_PARALLELISM,
      ...(config.ARGON2_MAX_CONCURRENCY ? { maxConcurrent: config.ARGON2_MAX_CONCURRENCY } : {}),
    })
    preloadPasswordList()
    fastify.decorate('passwordHasher', hasher)
    const running = new Set<Promise<void>>()
    fastify.decorate('runInBackground', (name: string, task: () => Promise<void>) => {
      const work = new Promise<void>((resolve) => setImmediate(resolve))
        .then(task)
        .catch((err) => fastify.log.error({ err, task: name }, 'background task failed'))
        .finally(() => running.delete(work))
      running.add(work)
    })
    fastify.addHook('preClose', async () => {
      await Promise.all(running)
    })
    fastify.decorate(
      'accounts',
      new AccountService({
        db: fastify.db,
        config,
        hasher,
        accessTokens: fastify.accessTokens,
        throttle: fastify.signInThrottle,
        passwordConfirmLimit: fastify.passwordConfirmLimit,
        mailSeal: fastify.mailSeal,
        now,
        log: fastify.log,
      }),
    )
  },
  { name: 'accounts', dependencies: ['database', 'signing-keys', 'rate-limits'], fastify: '5.x' },
)
