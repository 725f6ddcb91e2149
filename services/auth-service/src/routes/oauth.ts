import {
  IdentityListSchema,
  MfaRequiredProblemSchema,
  OAuthAuthorizeQuerySchema,
  OAuthCallbackQuerySchema,
  OAuthExchangeBodySchema,
  OAuthProviderListSchema,
  OAuthProviderParamsSchema,
  ProblemSchema,
  TokenDeliveryQuerySchema,
  TokenPairSchema,
} from '@authpair/contracts'
import { auditClientOf } from '@authpair/db/fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { AuthConfig } from '../config.js'
import { FLOW_TTL_SECONDS } from '../oauth/oauth-service.js'
import { readCookie, STATE_COOKIE, stateCookieHeader } from '../oauth/state-cookie.js'
import { sessionUser } from '../plugins/app/authentication.js'

const oauthRoutes: FastifyPluginAsyncZod<{ config: AuthConfig }> = async (fastify, { config }) => {
  const secureCookie = config.ISSUER.startsWith('https://')

  fastify.get(
    '/auth/oauth/providers',
    {
      schema: {
        tags: ['oauth'],
        summary: 'The sign-in providers this deployment offers',
        response: { 200: OAuthProviderListSchema },
      },
    },
    async () => fastify.oauth.listProviders(),
  )

  fastify.get(
    '/auth/oauth/:provider/authorize',
    {
      schema: {
        tags: ['oauth'],
        summary:
          'Start sign-in: 302 to the provider; the app’s state and code_challenge are bound to the flow',
        params: OAuthProviderParamsSchema,
        querystring: OAuthAuthorizeQuerySchema,
        response: { 302: z.null(), 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { location, cookie } = await fastify.oauth.authorize(
        request.params.provider,
        request.query,
      )
      reply.header('set-cookie', stateCookieHeader(cookie, FLOW_TTL_SECONDS, secureCookie))
      reply.header('cache-control', 'no-store')
      return reply.redirect(location, 302)
    },
  )

  fastify.get(
    '/auth/oauth/:provider/callback',
    {
      schema: {
        tags: ['oauth'],
        summary: 'The provider’s redirect back: 302 to the client with ?code= (or ?error=)',
        params: OAuthProviderParamsSchema,
        querystring: OAuthCallbackQuerySchema,
        response: { 302: z.null(), 400: ProblemSchema },
      },
    },
    async (request, reply) => {
      const location = await fastify.oauth.callback(
        request.params.provider,
        request.query,
        readCookie(request.headers.cookie, STATE_COOKIE),
        auditClientOf(request),
      )
      // The flow is over whatever happened: the cookie goes.
      reply.header('set-cookie', stateCookieHeader('', 0, secureCookie))
      reply.header('cache-control', 'no-store')
      reply.header('referrer-policy', 'no-referrer')
      return reply.redirect(location, 302)
    },
  )

  fastify.post(
    '/auth/oauth/exchange',
    {
      schema: {
        tags: ['oauth'],
        summary:
          'Trade the one-time login code from the callback (and the PKCE code_verifier) for a token pair',
        querystring: TokenDeliveryQuerySchema,
        body: OAuthExchangeBodySchema,
        response: { 200: TokenPairSchema, 400: ProblemSchema, 403: MfaRequiredProblemSchema },
      },
    },
    async (request, reply) => {
      const pair = await fastify.oauth.exchange(
        request.body.code,
        request.body.code_verifier,
        auditClientOf(request),
      )
      return fastify.tokenDelivery.deliver(request, reply, pair)
    },
  )

  fastify.get(
    '/auth/identities',
    {
      preHandler: fastify.authenticateSession,
      schema: {
        tags: ['oauth'],
        summary: 'The providers linked to the caller’s account',
        security: [{ bearerAuth: [] }],
        response: { 200: IdentityListSchema, 401: ProblemSchema },
      },
    },
    async (request) => fastify.oauth.identities(sessionUser(request).userId),
  )

  fastify.delete(
    '/auth/identities/:provider',
    {
      preHandler: fastify.authenticateSession,
      schema: {
        tags: ['oauth'],
        summary: 'Unlink a provider (refused for the last way to sign in)',
        security: [{ bearerAuth: [] }],
        params: OAuthProviderParamsSchema,
        response: { 204: z.null(), 401: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request, reply) => {
      await fastify.oauth.unlink(
        sessionUser(request).userId,
        request.params.provider,
        auditClientOf(request),
      )
      return reply.code(204).send(null)
    },
  )
}

export default oauthRoutes
