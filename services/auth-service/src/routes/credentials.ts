import {
  LoginBodySchema,
  LogoutBodySchema,
  MfaRequiredProblemSchema,
  ProblemSchema,
  RefreshBodySchema,
  RegisterBodySchema,
  RegisterResponseSchema,
  TokenPairSchema,
} from '@authpair/contracts'
import { auditClientOf } from '@authpair/db/fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'

/** Token responses must never be cached (RFC 6749 §5.1). */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

const credentialRoutes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post(
    '/auth/register',
    {
      preHandler: [fastify.limits.registerPerIp],
      schema: {
        tags: ['credentials'],
        summary: 'Create an account with email and password',
        body: RegisterBodySchema,
        response: {
          201: RegisterResponseSchema,
          400: ProblemSchema,
          409: ProblemSchema,
          429: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const user = await fastify.accounts.register(
        { ...request.body, acceptLanguage: request.headers['accept-language'] },
        auditClientOf(request),
      )
      reply.code(201)
      return { user }
    },
  )

  fastify.post(
    '/auth/login',
    {
      // Per account (and address) too, inside the account rules: only failures count there.
      preHandler: [fastify.limits.loginPerIp],
      schema: {
        tags: ['credentials'],
        summary:
          'Sign in with email and password; returns a token pair, or 403 mfa_required with an mfa_token',
        body: LoginBodySchema,
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
      const pair = await fastify.accounts.login(request.body, auditClientOf(request))
      reply.headers(NO_STORE)
      return pair
    },
  )

  fastify.post(
    '/auth/token/refresh',
    {
      preHandler: [fastify.limits.refreshPerIp],
      schema: {
        tags: ['credentials'],
        summary: 'Trade a refresh token for a new pair (the old refresh token is spent)',
        body: RefreshBodySchema,
        response: {
          200: TokenPairSchema,
          400: ProblemSchema,
          401: ProblemSchema,
          429: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const pair = await fastify.accounts.refresh(
        request.body.refresh_token,
        auditClientOf(request),
      )
      reply.headers(NO_STORE)
      return pair
    },
  )

  fastify.post(
    '/auth/logout',
    {
      schema: {
        tags: ['credentials'],
        summary: 'End the session of a refresh token (idempotent)',
        body: LogoutBodySchema,
        response: { 204: z.null(), 400: ProblemSchema },
      },
    },
    async (request, reply) => {
      await fastify.accounts.logout(request.body.refresh_token, auditClientOf(request))
      return reply.code(204).send(null)
    },
  )
}

export default credentialRoutes
