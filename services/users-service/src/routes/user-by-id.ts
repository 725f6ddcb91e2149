import { profileOf } from '@authpair/accounts'
import { ProblemSchema, ProfileSchema, UserIdParamsSchema } from '@authpair/contracts'
import { HttpProblem } from '@authpair/service-kit'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'

/** The scope a client token needs to look users up (docs/design.md, Clients). */
export const USERS_READ_SCOPE = 'users:read'

/**
 * GET /users/:id, for internal services: a client token (client-credentials grant) with scope
 * `users:read` resolves a user it saw in a token or a record to their profile. It is not for
 * users: a user's token is 403 `forbidden` (a user reads only their own profile, at /users/me),
 * whatever scopes it carries; a client token without the scope is 403 `insufficient_scope`
 * with RFC 6750's challenge naming it.
 */
const userByIdRoutes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get(
    '/users/:id',
    {
      preHandler: fastify.requireClient(USERS_READ_SCOPE),
      schema: {
        tags: ['profile'],
        summary: `A user’s profile, for internal services (a client token with scope ${USERS_READ_SCOPE})`,
        description:
          'A user’s token is 403 `forbidden`; a client token without the scope is 403 ' +
          '`insufficient_scope`; an unknown or deactivated user is 404 `not_found`.',
        security: [{ clientCredentials: [USERS_READ_SCOPE] }],
        params: UserIdParamsSchema,
        response: {
          200: ProfileSchema,
          400: ProblemSchema,
          401: ProblemSchema,
          403: ProblemSchema,
          404: ProblemSchema,
          503: ProblemSchema,
        },
      },
    },
    async (request) => {
      const user = await fastify.db.users.findById(request.params.id)
      // A deactivated account is not shown: the profile has no field to say so, and a service
      // that resolved it would go on acting for an account an admin has switched off.
      if (!user?.isActive) throw new HttpProblem(404, 'not_found', 'No such user.')
      return profileOf(fastify.db, user)
    },
  )
}

export default userByIdRoutes
