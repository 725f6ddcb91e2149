import { ProblemSchema, ProfileSchema } from '@authpair/contracts'
import { toProfile } from '@authpair/db'
import { HttpProblem } from '@authpair/service-kit'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'

const meRoutes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get(
    '/users/me',
    {
      preHandler: fastify.authenticate,
      schema: {
        tags: ['profile'],
        summary: 'The signed-in user’s profile',
        security: [{ bearerAuth: [] }],
        response: { 200: ProfileSchema, 401: ProblemSchema, 503: ProblemSchema },
      },
    },
    async (request) => {
      const userId = request.user?.userId ?? ''
      const user = await fastify.db.users.findById(userId)
      // A valid signature for a user who is gone or deactivated is not a valid credential.
      if (!user?.isActive) {
        throw new HttpProblem(401, 'invalid_token', 'The access token is not valid.', {
          headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
        })
      }
      return toProfile(user)
    },
  )
}

export default meRoutes
