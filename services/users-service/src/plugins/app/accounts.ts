import { AccountRules, AuditTrail, adminAccessProblem, type Clock } from '@authpair/accounts'
import type { UserRecord } from '@authpair/db'
import { type PasswordHasher, passwordHasherFromConfig } from '@authpair/passwords'
import { HttpProblem } from '@authpair/service-kit'
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { UsersConfig } from '../../config.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's account row, set by requireAccount; null before it. */
    account: UserRecord | null
  }
  interface FastifyInstance {
    /**
     * preHandler: a user's valid token (a client token is 403 `forbidden`: it has no session and
     * stands for no user) whose session has not ended (the revocation feed, REVOCATION_CHECK),
     * an active account → request.account.
     */
    requireAccount: preHandlerAsyncHookHandler
    /**
     * preHandler: requireAccount, then role admin as the database says now (not the token);
     * MFA_REQUIRED_ROLES as in the auth-service (adminAccessProblem, @authpair/accounts).
     */
    requireAdmin: preHandlerAsyncHookHandler
    passwordHasher: PasswordHasher
    /** The account rules both services share (packages/accounts). */
    accountRules: AccountRules
    auditTrail: AuditTrail
  }
}

/** 401 `invalid_token` with RFC 6750's challenge. */
export const invalidToken = (detail: string) =>
  new HttpProblem(401, 'invalid_token', detail, {
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  })

export default fp<{ config: UsersConfig; now: Clock }>(
  async (fastify, { config, now }) => {
    const hasher = passwordHasherFromConfig(config)
    fastify.decorate('passwordHasher', hasher)
    const auditTrail = new AuditTrail(fastify.db, now, (err, type) =>
      fastify.log.error({ err, type }, 'could not record an audit event'),
    )
    fastify.decorate('auditTrail', auditTrail)
    fastify.decorate(
      'accountRules',
      new AccountRules({
        db: fastify.db,
        hasher,
        audit: auditTrail,
        now,
        passwordConfirmLimit: fastify.passwordConfirmLimit,
      }),
    )
    fastify.decorateRequest('account', null)

    const requireAccount = async (
      request: FastifyRequest,
      reply: Parameters<preHandlerAsyncHookHandler>[1],
    ) => {
      await fastify.requireUser.call(fastify, request, reply)
      const who = request.user
      // requireUser has refused a client token already; this narrows the type, and would
      // refuse one again were the guard above ever swapped for a laxer one.
      // An ended session's token was refused by the verifier (the revocation feed).
      if (who?.kind !== 'user') throw invalidToken('The access token is not valid.')
      const account = await fastify.db.users.findById(who.userId)
      // A valid signature for a user who is gone or deactivated is not a valid credential.
      if (!account?.isActive) throw invalidToken('The access token is not valid.')
      request.account = account
    }
    fastify.decorate('requireAccount', requireAccount as preHandlerAsyncHookHandler)
    const policy = { requiredRoles: config.MFA_REQUIRED_ROLES }
    fastify.decorate('requireAdmin', async function (this: unknown, request, reply) {
      await requireAccount(request, reply)
      // The admin API's rule, shared with the auth-service: role admin now, and for a role in
      // MFA_REQUIRED_ROLES a second factor on and used by this token (amr has mfa).
      const who = request.user
      const amr = who?.kind === 'user' ? who.amr : []
      const problem = await adminAccessProblem(
        fastify.db,
        request.account ?? undefined,
        { amr },
        policy,
      )
      if (problem) throw problem
    } as preHandlerAsyncHookHandler)
  },
  {
    name: 'accounts',
    dependencies: ['database', 'authentication', 'metrics', 'rate-limit-store'],
    fastify: '5.x',
  },
)
