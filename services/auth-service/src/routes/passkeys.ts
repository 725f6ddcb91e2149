import { readFile } from 'node:fs/promises'
import {
  PasskeyCreatedSchema,
  PasskeyCreationOptionsSchema,
  PasskeyIdParamsSchema,
  PasskeyListSchema,
  PasskeyLoginOptionsBodySchema,
  PasskeyLoginVerifyBodySchema,
  PasskeyRegisterVerifyBodySchema,
  PasskeyRenameBodySchema,
  PasskeyRequestOptionsSchema,
  PasskeySchema,
  ProblemSchema,
  TokenDeliveryQuerySchema,
  TokenPairSchema,
} from '@authpair/contracts'
import { auditClientOf } from '@authpair/db/fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { AuthConfig } from '../config.js'
import { sessionUser } from '../plugins/app/authentication.js'

const bearer = [{ bearerAuth: [] }]
/** A challenge and a token pair must never be cached. */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

/**
 * The example page (examples/passkeys: HTML and one script, no inline code): registers and
 * signs in with a passkey through the public API. Development only; the same directory from
 * src/routes and dist/routes.
 */
const EXAMPLE_DIR = new URL('../../examples/passkeys/', import.meta.url)
const EXAMPLE_FILES: Record<string, string> = {
  '': 'text/html; charset=utf-8',
  'passkeys.js': 'text/javascript; charset=utf-8',
}
const EXAMPLE_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/**
 * /auth/passkeys (design.md, "Passkeys (WebAuthn Level 3)"). Registration, the list and its
 * changes need a live session (registration and deletion a recent sign-in); the sign-in pair
 * is public and limited per address like /auth/login.
 */
const passkeyRoutes: FastifyPluginAsyncZod<{ config: AuthConfig }> = async (
  fastify,
  { config },
) => {
  fastify.post(
    '/auth/passkeys/register/options',
    {
      preHandler: fastify.authenticateSession,
      schema: {
        tags: ['passkeys'],
        summary: 'Creation options for a new passkey: pass them to navigator.credentials.create',
        security: bearer,
        response: { 200: PasskeyCreationOptionsSchema, 401: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (request, reply) => {
      const who = sessionUser(request)
      reply.headers(NO_STORE)
      return fastify.passkeys.registrationOptions(who.userId, who.sessionId)
    },
  )

  fastify.post(
    '/auth/passkeys/register/verify',
    {
      preHandler: fastify.authenticateSession,
      schema: {
        tags: ['passkeys'],
        summary: "Register the passkey: the browser's RegistrationResponseJSON and a name",
        security: bearer,
        body: PasskeyRegisterVerifyBodySchema,
        response: {
          201: PasskeyCreatedSchema,
          400: ProblemSchema,
          401: ProblemSchema,
          403: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const who = sessionUser(request)
      const { response, name } = request.body
      const passkey = await fastify.passkeys.register(
        who.userId,
        response,
        name,
        auditClientOf(request),
        request.headers['accept-language'],
      )
      return reply.code(201).send({ passkey })
    },
  )

  fastify.get(
    '/auth/passkeys',
    {
      preHandler: fastify.authenticateSession,
      schema: {
        tags: ['passkeys'],
        summary: "The caller's passkeys",
        security: bearer,
        response: { 200: PasskeyListSchema, 401: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (request) => fastify.passkeys.list(sessionUser(request).userId),
  )

  fastify.patch(
    '/auth/passkeys/:id',
    {
      preHandler: fastify.authenticateSession,
      schema: {
        tags: ['passkeys'],
        summary: 'Rename one of your passkeys',
        security: bearer,
        params: PasskeyIdParamsSchema,
        body: PasskeyRenameBodySchema,
        response: {
          200: PasskeySchema,
          400: ProblemSchema,
          401: ProblemSchema,
          403: ProblemSchema,
          404: ProblemSchema,
        },
      },
    },
    async (request) =>
      fastify.passkeys.rename(
        sessionUser(request).userId,
        request.params.id,
        request.body.name,
        auditClientOf(request),
      ),
  )

  fastify.delete(
    '/auth/passkeys/:id',
    {
      preHandler: fastify.authenticateSession,
      schema: {
        tags: ['passkeys'],
        summary: 'Delete one of your passkeys (a recent sign-in; never the last way to sign in)',
        security: bearer,
        params: PasskeyIdParamsSchema,
        response: {
          204: z.null(),
          401: ProblemSchema,
          403: ProblemSchema,
          404: ProblemSchema,
          409: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const who = sessionUser(request)
      await fastify.passkeys.remove(
        who.userId,
        who.sessionId,
        request.params.id,
        auditClientOf(request),
        request.headers['accept-language'],
      )
      return reply.code(204).send(null)
    },
  )

  fastify.post(
    '/auth/passkeys/login/options',
    {
      preHandler: [fastify.limits.loginPerIp],
      schema: {
        tags: ['passkeys'],
        summary:
          'Request options for a passkey sign-in: usernameless ({}) or for an email (the same shape for an unknown one)',
        body: PasskeyLoginOptionsBodySchema,
        response: { 200: PasskeyRequestOptionsSchema, 400: ProblemSchema, 429: ProblemSchema },
      },
    },
    async (request, reply) => {
      reply.headers(NO_STORE)
      return fastify.passkeys.loginOptions(request.body.email)
    },
  )

  fastify.post(
    '/auth/passkeys/login/verify',
    {
      preHandler: [fastify.limits.loginPerIp],
      schema: {
        tags: ['passkeys'],
        summary: "Sign in with the browser's AuthenticationResponseJSON: a token pair",
        querystring: TokenDeliveryQuerySchema,
        body: PasskeyLoginVerifyBodySchema,
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
      const pair = await fastify.passkeys.signIn(request.body.response, auditClientOf(request))
      return fastify.tokenDelivery.deliver(request, reply, pair)
    },
  )

  if (config.NODE_ENV !== 'production') {
    fastify.get(
      '/auth/passkeys/example/:file?',
      { schema: { hide: true, params: z.object({ file: z.string().max(32).optional() }) } },
      async (request, reply) => {
        const file = request.params.file ?? ''
        // The page's script is a relative URL: the page must be read from the directory.
        if (file === '' && !request.url.split('?')[0]?.endsWith('/')) {
          return reply.redirect('/auth/passkeys/example/')
        }
        const type = EXAMPLE_FILES[file]
        if (type === undefined) return reply.callNotFound()
        const body = await readFile(new URL(file || 'index.html', EXAMPLE_DIR))
        return reply
          .header('content-type', type)
          .header('content-security-policy', EXAMPLE_CSP)
          .header('x-content-type-options', 'nosniff')
          .send(body)
      },
    )
  }
}

export default passkeyRoutes
