import {
  MfaRequiredProblemSchema,
  MfaStatusSchema,
  MfaVerifyBodySchema,
  ProblemSchema,
  RecoveryCodesSchema,
  TokenDeliveryQuerySchema,
  TokenPairSchema,
  TotpConfirmBodySchema,
  TotpSetupSchema,
} from '@authpair/contracts'
import { auditClientOf } from '@authpair/db/fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { sessionUser } from '../plugins/app/authentication.js'

const bearer = [{ bearerAuth: [] }]
/** Secrets, codes and tokens must never be cached (RFC 6749 §5.1 for the token pair). */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

/**
 * /auth/mfa: the second factor (design.md, "Sign-in with a second factor"). The sign-in step
 * is public (it takes the mfa_token of a 403 mfa_required); the rest needs a live session,
 * and every change a sign-in within RECENT_LOGIN_SECONDS (401 recent_login_required).
 */
const mfaRoutes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post(
    '/auth/mfa/verify',
    {
      // Per account (and address) too, inside MfaService: second-factor failures count there.
      preHandler: [fastify.limits.loginPerIp],
      schema: {
        tags: ['mfa'],
        summary: 'Finish a sign-in that answered mfa_required: the mfa_token and a code',
        querystring: TokenDeliveryQuerySchema,
        body: MfaVerifyBodySchema,
        response: {
          200: TokenPairSchema,
          400: ProblemSchema,
          401: ProblemSchema,
          403: MfaRequiredProblemSchema,
          429: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const { mfa_token, method, code } = request.body
      const pair = await fastify.mfa.verify(
        { mfaToken: mfa_token, method, code },
        auditClientOf(request),
      )
      return fastify.tokenDelivery.deliver(request, reply, pair)
    },
  )

  fastify.get(
    '/auth/mfa',
    {
      preHandler: fastify.authenticateSession,
      schema: {
        tags: ['mfa'],
        summary: 'Which second factors the caller has on',
        security: bearer,
        response: { 200: MfaStatusSchema, 401: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (request) => fastify.mfa.status(sessionUser(request).userId),
  )

  fastify.post(
    '/auth/mfa/totp/setup',
    {
      preHandler: fastify.authenticateSession,
      schema: {
        tags: ['mfa'],
        summary:
          'Start setting up an authenticator app: its secret and otpauth URI (nothing is on until confirmed)',
        security: bearer,
        response: {
          200: TotpSetupSchema,
          401: ProblemSchema,
          403: ProblemSchema,
          409: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const who = sessionUser(request)
      const setup = await fastify.mfa.setup(who.userId, who.sessionId)
      reply.headers(NO_STORE)
      return setup
    },
  )

  fastify.post(
    '/auth/mfa/totp/confirm',
    {
      preHandler: fastify.authenticateSession,
      schema: {
        tags: ['mfa'],
        summary: 'Turn the authenticator on with a code from it; answers the recovery codes, once',
        security: bearer,
        body: TotpConfirmBodySchema,
        response: {
          200: RecoveryCodesSchema,
          400: ProblemSchema,
          401: ProblemSchema,
          403: ProblemSchema,
          409: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const who = sessionUser(request)
      const codes = await fastify.mfa.confirm(
        who.userId,
        who.sessionId,
        request.body.code,
        auditClientOf(request),
        request.headers['accept-language'],
      )
      reply.headers(NO_STORE)
      return codes
    },
  )

  fastify.delete(
    '/auth/mfa/totp',
    {
      preHandler: fastify.authenticateSession,
      schema: {
        tags: ['mfa'],
        summary: 'Remove the authenticator app and its recovery codes',
        security: bearer,
        response: { 204: z.null(), 401: ProblemSchema, 403: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request, reply) => {
      const who = sessionUser(request)
      await fastify.mfa.removeTotp(
        who.userId,
        who.sessionId,
        auditClientOf(request),
        request.headers['accept-language'],
      )
      return reply.code(204).send(null)
    },
  )

  fastify.post(
    '/auth/mfa/recovery-codes',
    {
      preHandler: fastify.authenticateSession,
      schema: {
        tags: ['mfa'],
        summary: 'A new set of ten recovery codes; the old set stops working',
        security: bearer,
        response: {
          200: RecoveryCodesSchema,
          401: ProblemSchema,
          403: ProblemSchema,
          409: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const who = sessionUser(request)
      const codes = await fastify.mfa.regenerateRecoveryCodes(
        who.userId,
        who.sessionId,
        auditClientOf(request),
        request.headers['accept-language'],
      )
      reply.headers(NO_STORE)
      return codes
    },
  )
}

export default mfaRoutes
