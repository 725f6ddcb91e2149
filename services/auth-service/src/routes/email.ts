import {
  AcceptedSchema,
  EmailVerifyBodySchema,
  PasswordForgotBodySchema,
  PasswordResetBodySchema,
  ProblemSchema,
} from '@authpair/contracts'
import { auditClientOf } from '@authpair/db/fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { sessionUser } from '../plugins/app/authentication.js'

const ACCEPTED = { status: 'accepted' as const }

/** Password reset and email verification (OWASP Forgot Password Cheat Sheet). */
const emailRoutes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post(
    '/auth/password/forgot',
    {
      preHandler: [fastify.limits.forgotPerIp, fastify.limits.forgotPerEmail],
      schema: {
        tags: ['password reset'],
        summary:
          'Mail a reset link if the address has an account; the answer is the same either way',
        body: PasswordForgotBodySchema,
        response: { 202: AcceptedSchema, 400: ProblemSchema, 429: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { email } = request.body
      const acceptLanguage = request.headers['accept-language']
      const client = auditClientOf(request)
      // The lookup, token and mail happen after the answer: its content and timing cannot tell
      // whether the address exists.
      fastify.runInBackground('password reset request', () =>
        fastify.accounts.requestPasswordReset(email, acceptLanguage, client),
      )
      reply.code(202)
      return ACCEPTED
    },
  )

  fastify.post(
    '/auth/password/reset',
    {
      schema: {
        tags: ['password reset'],
        summary: 'Set a new password with the token from the mail; every session ends',
        body: PasswordResetBodySchema,
        response: { 204: z.null(), 400: ProblemSchema },
      },
    },
    async (request, reply) => {
      await fastify.accounts.resetPassword(
        request.body.token,
        request.body.password,
        auditClientOf(request),
        request.headers['accept-language'],
      )
      return reply.code(204).send(null)
    },
  )

  fastify.post(
    '/auth/email/verify',
    {
      schema: {
        tags: ['email verification'],
        summary: 'Confirm the email address with the token from the mail',
        body: EmailVerifyBodySchema,
        response: { 204: z.null(), 400: ProblemSchema },
      },
    },
    async (request, reply) => {
      await fastify.accounts.verifyEmail(request.body.token, auditClientOf(request))
      return reply.code(204).send(null)
    },
  )

  fastify.post(
    '/auth/email/verify/resend',
    {
      preHandler: [fastify.authenticateSession, fastify.limits.verifyResendPerUser],
      schema: {
        tags: ['email verification'],
        summary: 'Mail a new verification link (none when the address is already verified)',
        security: [{ bearerAuth: [] }],
        response: { 202: AcceptedSchema, 401: ProblemSchema, 429: ProblemSchema },
      },
    },
    async (request, reply) => {
      await fastify.accounts.resendVerification(
        sessionUser(request).userId,
        request.headers['accept-language'],
      )
      reply.code(202)
      return ACCEPTED
    },
  )
}

export default emailRoutes
