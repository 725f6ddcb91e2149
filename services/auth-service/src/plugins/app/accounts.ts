import { AccountRules, AuditTrail } from '@authpair/accounts'
import {
  type PasswordHasher,
  passwordHasherFromConfig,
  preloadPasswordList,
} from '@authpair/passwords'
import fp from 'fastify-plugin'
import { AccountService } from '../../accounts/account-service.js'
import { signInMetrics } from '../../accounts/sign-in-metrics.js'
import type { AuthConfig } from '../../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    accounts: AccountService
    /** The account rules both services share (packages/accounts). */
    accountRules: AccountRules
    auditTrail: AuditTrail
    passwordHasher: PasswordHasher
    /**
     * Runs work after the response (password/forgot): failures are logged, and closing the
     * server waits for what is still running.
     */
    runInBackground: (name: string, task: () => Promise<void>) => void
  }
}

/** The account rules (shared AccountRules, this service's AccountService) and the hasher. */
export default fp<{ config: AuthConfig; now: () => Date }>(
  async (fastify, { config, now }) => {
    const hasher = passwordHasherFromConfig(config)
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
    const auditTrail = new AuditTrail(
      fastify.db,
      now,
      (err, type) => fastify.log.error({ err, type }, 'could not record an audit event'),
      signInMetrics(fastify.metrics),
    )
    const rules = new AccountRules({
      db: fastify.db,
      hasher,
      audit: auditTrail,
      now,
      passwordConfirmLimit: fastify.passwordConfirmLimit,
    })
    fastify.decorate('accountRules', rules)
    fastify.decorate('auditTrail', auditTrail)
    fastify.decorate(
      'accounts',
      new AccountService({
        db: fastify.db,
        config,
        hasher,
        accessTokens: fastify.accessTokens,
        throttle: fastify.signInThrottle,
        rules,
        auditTrail,
        mailSeal: fastify.mailSeal,
        now,
        log: fastify.log,
      }),
    )
  },
  {
    name: 'accounts',
    dependencies: ['database', 'metrics', 'signing-keys', 'rate-limits'],
    fastify: '5.x',
  },
)
