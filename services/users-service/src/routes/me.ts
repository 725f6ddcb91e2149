import { type Clock, isRecentSignIn, profileOf } from '@authpair/accounts'
import {
  DeleteMeBodySchema,
  ProblemSchema,
  ProfileSchema,
  UpdateMeBodySchema,
} from '@authpair/contracts'
import type { UserRecord } from '@authpair/db'
import { auditClientOf } from '@authpair/db/fastify'
import { HttpProblem } from '@authpair/service-kit'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { UsersConfig } from '../config.js'
import { invalidToken } from '../plugins/app/accounts.js'

const security = [{ bearerAuth: [] }]

const meRoutes: FastifyPluginAsyncZod<{ config: UsersConfig; now: Clock }> = async (
  fastify,
  { config, now },
) => {
  const account = (request: { account: UserRecord | null }) => {
    if (!request.account) throw new Error('requireAccount did not run')
    return request.account
  }

  fastify.get(
    '/users/me',
    {
      schema: {
        tags: ['profile'],
        summary: 'The signed-in user’s profile',
        security,
        response: { 200: ProfileSchema, 401: ProblemSchema, 503: ProblemSchema },
      },
      preHandler: fastify.requireUser,
    },
    async (request, reply) => {
      // requireUser refused a client token (403) and a revoked session's (the feed); the rest of
      // requireAccount (a user who is gone or deactivated) is the profile lookup's.
      const who = request.user
      const body = who?.kind === 'user' ? await fastify.profiles.body(who.userId) : undefined
      if (body === undefined) throw invalidToken('The access token is not valid.')
      // Already serialized (and checked against ProfileSchema) when it was built: a string with
      // a JSON content type is sent as it is, the route's serializer is not run (hence the cast:
      // the type provider only knows the object form).
      return reply.type('application/json; charset=utf-8').send(body as never)
    },
  )

  fastify.patch(
    '/users/me',
    {
      schema: {
        tags: ['profile'],
        summary: 'Change your name or locale (any other field is a 400)',
        security,
        body: UpdateMeBodySchema,
        response: { 200: ProfileSchema, 400: ProblemSchema, 401: ProblemSchema },
      },
      preHandler: fastify.requireAccount,
    },
    async (request) => {
      const user = account(request)
      const { name, locale } = request.body
      const updated = await fastify.db.users.update(user.id, {
        ...(name !== undefined ? { name } : {}),
        ...(locale !== undefined ? { locale } : {}),
        updatedAt: now(),
      })
      if (!updated) throw new HttpProblem(401, 'invalid_token', 'The account no longer exists.')
      return profileOf(fastify.db, updated)
    },
  )

  fastify.delete(
    '/users/me',
    {
      schema: {
        tags: ['profile'],
        summary: 'Delete your account: needs the password or a sign-in within RECENT_LOGIN_SECONDS',
        security,
        // No body at all arrives as null: the password is optional.
        body: DeleteMeBodySchema.nullish(),
        response: {
          204: z.null(),
          400: ProblemSchema,
          401: ProblemSchema,
          403: ProblemSchema,
          409: ProblemSchema,
          429: ProblemSchema,
        },
      },
      preHandler: fastify.requireAccount,
    },
    async (request, reply) => {
      const user = account(request)
      const password = request.body?.password
      if (password !== undefined) {
        if (!(await fastify.accountRules.confirmCurrentPassword(user, password))) {
          throw new HttpProblem(401, 'invalid_credentials', 'The password is not correct.')
        }
      } else {
        // No password: only a session signed in moments ago may delete the account, so a stolen
        // long-lived session (or refresh token) cannot.
        const who = request.user
        const session =
          who?.kind === 'user' ? await fastify.db.sessions.findById(who.sessionId) : undefined
        if (!isRecentSignIn(session, now(), config.RECENT_LOGIN_SECONDS)) {
          throw new HttpProblem(
            403,
            'recent_login_required',
            `Confirm with your password, or sign in again (within ${config.RECENT_LOGIN_SECONDS} s), to delete the account.`,
          )
        }
      }
      await fastify.accountRules.deleteAccount(user.id, auditClientOf(request))
      return reply.code(204).send(null)
    },
  )
}

export default meRoutes
