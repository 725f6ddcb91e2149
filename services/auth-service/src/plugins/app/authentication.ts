import { adminAccessProblem, sessionAuthorizes } from '@authpair/accounts'
import { JwtVerifyError, type UserToken, type VerifiedToken } from '@authpair/jwt-verify'
import { jwtVerifyPlugin } from '@authpair/jwt-verify/fastify'
import { HttpProblem } from '@authpair/service-kit'
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { AuthConfig } from '../../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * preHandler: a user's valid access token whose session is still live (a logged-out or
     * revoked session stops working here at once, not at token expiry); sets request.user. A
     * client token (no session, no user) is 403 `forbidden`.
     */
    authenticateSession: preHandlerAsyncHookHandler
    /**
     * preHandler: authenticateSession, then role admin as the database says now, not as the
     * token said when it was issued (SECURITY.md T9): a demoted admin loses admin routes at once.
     * MFA_REQUIRED_ROLES: 403 mfa_enrollment_required without a second factor, 403
     * mfa_required for a token issued without it (adminAccessProblem, @authpair/accounts).
     */
    requireAdmin: preHandlerAsyncHookHandler
  }
}

/**
 * The auth-service verifies its own access tokens with packages/jwt-verify, resolving keys
 * from its KeyStore (the same set the JWKS publishes) instead of fetching its own JWKS.
 */
export default fp<{ config: AuthConfig; now: () => Date }>(
  async (fastify, { config, now }) => {
    await fastify.register(jwtVerifyPlugin, {
      issuer: config.ISSUER,
      audience: config.JWT_AUDIENCE,
      algorithms: [config.JWT_ALG],
      now: () => now().getTime(),
      // Every token this service signs lives exactly this long; anything longer is not ours.
      maxLifetimeSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      // Revocation is checked per request below, so the verified-token cache may stay on.
      keyResolver: async (kid) => {
        const found = fastify.keys.publicKey(kid)
        if (!found) throw new JwtVerifyError('kid_unknown', 'the token names an unknown key')
        return found.key
      },
    })

    const sessionIsLive = async (request: FastifyRequest) => {
      const who = request.user
      // requireUser has refused a client token; a token that is not a user's has no session to
      // be live, so it would be refused here too.
      const session =
        who?.kind === 'user' ? await fastify.db.sessions.findById(who.sessionId) : undefined
      if (who?.kind !== 'user' || !sessionAuthorizes(session, who.userId, now())) {
        request.user = null
        throw new HttpProblem(401, 'invalid_token', 'The session of this access token has ended.', {
          headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
        })
      }
    }

    fastify.decorate('authenticateSession', async function (this: unknown, request, reply) {
      await fastify.requireUser.call(fastify, request, reply)
      await sessionIsLive(request)
    } as preHandlerAsyncHookHandler)

    const policy = { requiredRoles: config.MFA_REQUIRED_ROLES }
    fastify.decorate('requireAdmin', async function (this: unknown, request, reply) {
      await fastify.authenticateSession.call(fastify, request, reply)
      const who = sessionUser(request)
      const account = await fastify.db.users.findById(who.userId)
      // The admin API's rule, shared with the users-service: role admin now, and for a role in
      // MFA_REQUIRED_ROLES a second factor on and used by this token (amr has mfa).
      const problem = await adminAccessProblem(fastify.db, account, who, policy)
      if (problem) throw problem
    } as preHandlerAsyncHookHandler)
  },
  { name: 'authentication', dependencies: ['database', 'signing-keys'], fastify: '5.x' },
)

/**
 * The signed-in user of a request that passed `authenticateSession`. Throws (a 500: a route
 * forgot its guard) when there is none, so a handler never acts for an empty or made-up id.
 */
export function sessionUser(request: { user: VerifiedToken | null }): UserToken {
  const who = request.user
  if (who?.kind !== 'user') throw new Error('authenticateSession did not run')
  return who
}
