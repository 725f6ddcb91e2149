import {
  LoginBodySchema,
  LogoutBodySchema,
  MfaRequiredProblemSchema,
  ProblemSchema,
  RefreshBodySchema,
  RegisterBodySchema,
  RegisterResponseSchema,
  TokenDeliveryQuerySchema,
  TokenPairSchema,
} from '@authpair/contracts'
import { auditClientOf } from '@authpair/db/fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'

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
        querystring: TokenDeliveryQuerySchema,
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
      return fastify.tokenDelivery.deliver(request, reply, pair)
    },
  )

  fastify.post(
    '/auth/token/refresh',
    {
      preValidation: fastify.tokenDelivery.refreshTokenFromCookie,
      preHandler: [fastify.limits.refreshPerIp],
      schema: {
        tags: ['credentials'],
        summary: 'Trade a refresh token for a new pair (the old refresh token is spent)',
        description:
          'In cookie mode the refresh token comes from the cookie (send no body), and the ' +
          'request needs an Origin in CORS_ORIGINS and the header X-Requested-With: fetch.',
        querystring: TokenDeliveryQuerySchema,
        body: RefreshBodySchema,
        response: {
          200: TokenPairSchema,
          400: ProblemSchema,
          401: ProblemSchema,
          403: ProblemSchema,
          429: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const pair = await fastify.accounts.refresh(
        request.body.refresh_token,
        auditClientOf(request),
      )
      return fastify.tokenDelivery.deliver(request, reply, pair)
    },
  )

  fastify.post(
    '/auth/logout',
    {
      preValidation: fastify.tokenDelivery.refreshTokenFromCookie,
      schema: {
        tags: ['credentials'],
        summary: 'End the session of a refresh token (idempotent)',
        description:
          'In cookie mode the refresh token comes from the cookie, which the answer clears; ' +
          'the same Origin and X-Requested-With rules as refresh apply.',
        querystring: TokenDeliveryQuerySchema,
        body: LogoutBodySchema,
        response: { 204: z.null(), 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (request, reply) => {
      await fastify.accounts.logout(request.body.refresh_token, auditClientOf(request))
      fastify.tokenDelivery.clear(request, reply)
      return reply.code(204).send(null)
    },
  )
}

export default credentialRoutes
