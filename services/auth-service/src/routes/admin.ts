import {
  ProblemSchema,
  type SigningKey,
  SigningKeyListSchema,
  SigningKeySchema,
  UserIdParamsSchema,
} from '@authpair/contracts'
import type { SigningKeyRecord } from '@authpair/db'
import { auditClientOf } from '@authpair/db/fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { AuthConfig } from '../config.js'
import { signingKeyView } from '../keys/key-store.js'
import { sessionUser } from '../plugins/app/authentication.js'

const bearer = [{ bearerAuth: [] }]
/** 403 covers forbidden, mfa_enrollment_required and mfa_required (MFA_REQUIRED_ROLES). */
const denied = { 401: ProblemSchema, 403: ProblemSchema }

/**
 * /admin/auth/*: key management and session revocation. Role admin, on a live session; the
 * gateway also limits /admin/ to ADMIN_ALLOW_IPS.
 */
const adminRoutes: FastifyPluginAsyncZod<{ config: AuthConfig; now: () => Date }> = async (
  fastify,
  { now },
) => {
  fastify.addHook('preHandler', fastify.requireAdmin)

  const view = (key: SigningKeyRecord): SigningKey => signingKeyView(key, now())

  fastify.get(
    '/admin/auth/keys',
    {
      schema: {
        tags: ['admin'],
        summary: 'Every signing key with its status (next, active, retired)',
        security: bearer,
        response: { 200: SigningKeyListSchema, ...denied },
      },
    },
    async () => ({ items: (await fastify.db.signingKeys.list()).map(view) }),
  )

  fastify.post(
    '/admin/auth/keys/rotate',
    {
      schema: {
        tags: ['admin'],
        summary: 'Publish a new signing key now; it signs once every verifier can have seen it',
        security: bearer,
        response: { 201: SigningKeySchema, ...denied },
      },
    },
    async (request, reply) => {
      const key = await fastify.rotateSigningKey()
      await fastify.accounts.audit('key_rotated', null, auditClientOf(request), {
        kid: key.kid,
        actor_id: sessionUser(request).userId,
      })
      reply.code(201)
      return view(key)
    },
  )

  fastify.delete(
    '/admin/auth/users/:id/sessions',
    {
      schema: {
        tags: ['admin'],
        summary: 'End every session of a user',
        security: bearer,
        params: UserIdParamsSchema,
        response: { 204: z.null(), 400: ProblemSchema, ...denied },
      },
    },
    async (request, reply) => {
      const count = await fastify.db.sessions.revokeAllForUser(request.params.id, {
        now: now(),
        reason: 'admin',
      })
      await fastify.accounts.audit('sessions_revoked', request.params.id, auditClientOf(request), {
        reason: 'admin',
        count,
        actor_id: sessionUser(request).userId,
      })
      return reply.code(204).send(null)
    },
  )

  fastify.delete(
    '/admin/auth/users/:id/mfa',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Remove a user’s second factors (authenticator and recovery codes); the user is mailed',
        security: bearer,
        params: UserIdParamsSchema,
        response: {
          204: z.null(),
          400: ProblemSchema,
          404: ProblemSchema,
          409: ProblemSchema,
          ...denied,
        },
      },
    },
    async (request, reply) => {
      await fastify.mfa.removeByAdmin(
        request.params.id,
        sessionUser(request).userId,
        auditClientOf(request),
      )
      return reply.code(204).send(null)
    },
  )
}

export default adminRoutes
