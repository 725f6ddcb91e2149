import {
  type AdminAuthUser,
  AdminAuthUserSchema,
  AdminUserPasskeyParamsSchema,
  AdminUserSessionParamsSchema,
  ProblemSchema,
  type SigningKey,
  SigningKeyListSchema,
  SigningKeySchema,
  UserIdParamsSchema,
} from '@authpair/contracts'
import type { SigningKeyRecord } from '@authpair/db'
import { auditClientOf } from '@authpair/db/fastify'
import { HttpProblem } from '@authpair/service-kit'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { AuthConfig } from '../config.js'
import { signingKeyView } from '../keys/key-store.js'
import { sessionUser } from '../plugins/app/authentication.js'

const bearer = [{ bearerAuth: [] }]
/** 403 covers forbidden, mfa_enrollment_required and mfa_required (MFA_REQUIRED_ROLES). */
const denied = { 401: ProblemSchema, 403: ProblemSchema }

/**
 * /admin/auth/*: key management, and what the auth-service holds about a user (sessions,
 * identities, second factors, passkeys) with the ways to end or remove them. Role admin, on a
 * live session; the gateway also limits /admin/ to ADMIN_ALLOW_IPS.
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
      await fastify.auditTrail.record('key_rotated', {
        userId: null,
        actorId: sessionUser(request).userId,
        client: auditClientOf(request),
        data: { kid: key.kid },
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
      await fastify.auditTrail.record('sessions_revoked', {
        userId: request.params.id,
        actorId: sessionUser(request).userId,
        client: auditClientOf(request),
        data: { reason: 'admin', count },
      })
      return reply.code(204).send(null)
    },
  )

  fastify.delete(
    '/admin/auth/users/:id/mfa',
    {
      schema: {
        tags: ['admin'],
        summary: 'Remove a user’s authenticator app and recovery codes; the user is mailed',
        description:
          'Removes the TOTP authenticator (confirmed or still in enrolment) and every recovery ' +
          'code. Passkeys stay: remove them one by one with DELETE ' +
          '/admin/auth/users/{id}/passkeys/{passkeyId}. Sessions stay too (DELETE ' +
          '/admin/auth/users/{id}/sessions ends them). 404 for an unknown user, 409 ' +
          'mfa_not_enabled when there is no confirmed authenticator and no recovery code. ' +
          'Audited (mfa_removed, the admin as actor).',
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

  fastify.get(
    '/admin/auth/users/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'A user’s live sessions, linked identities, second factors and passkeys',
        description:
          'What the auth-service holds about the account; the profile is GET /admin/users/{id} ' +
          'on the users-service. 404 for an unknown user.',
        security: bearer,
        params: UserIdParamsSchema,
        response: { 200: AdminAuthUserSchema, 400: ProblemSchema, 404: ProblemSchema, ...denied },
      },
    },
    async (request): Promise<AdminAuthUser> => {
      const { id } = request.params
      const user = await fastify.db.users.findById(id)
      if (!user) throw new HttpProblem(404, 'not_found', 'No such user.')
      const [sessions, identities, factors, passkeys] = await Promise.all([
        fastify.accounts.listSessions(id),
        fastify.db.identities.listForUser(id),
        fastify.mfa.status(id),
        fastify.passkeys.list(id),
      ])
      return {
        user_id: id,
        sessions: sessions.map((s) => ({
          id: s.id,
          created_at: s.createdAt.toISOString(),
          last_used_at: s.lastUsedAt.toISOString(),
          expires_at: s.expiresAt.toISOString(),
          ip: s.ip,
          user_agent: s.userAgent,
          amr: s.amr ? s.amr.split(' ') : [],
        })),
        identities: identities.map((i) => ({
          provider: i.provider,
          provider_user_id: i.providerUserId,
          email: i.email,
          created_at: i.createdAt.toISOString(),
        })),
        second_factor: { totp: factors.totp, recovery_codes_left: factors.recovery_codes_left },
        passkeys: passkeys.items,
      }
    },
  )

  fastify.delete(
    '/admin/auth/users/:id/sessions/:sessionId',
    {
      schema: {
        tags: ['admin'],
        summary: 'End one session of a user',
        description:
          'Its refresh token stops working at once and its access tokens are refused by every ' +
          'verifier that follows the revocation feed. 404 when the session is not this ' +
          'user’s or is no longer live. Audited (session_revoked, the admin as actor).',
        security: bearer,
        params: AdminUserSessionParamsSchema,
        response: { 204: z.null(), 400: ProblemSchema, 404: ProblemSchema, ...denied },
      },
    },
    async (request, reply) => {
      await fastify.accounts.revokeSessionByAdmin(
        request.params.id,
        request.params.sessionId,
        sessionUser(request).userId,
        auditClientOf(request),
      )
      return reply.code(204).send(null)
    },
  )

  fastify.delete(
    '/admin/auth/users/:id/passkeys/:passkeyId',
    {
      schema: {
        tags: ['admin'],
        summary: 'Remove one of a user’s passkeys; the user is mailed',
        description:
          'For a lost or compromised authenticator. 404 when the passkey is not this user’s; ' +
          '409 last_sign_in_method when it is the account’s only way to sign in. Audited ' +
          '(passkey_removed, the admin as actor).',
        security: bearer,
        params: AdminUserPasskeyParamsSchema,
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
      await fastify.passkeys.removeByAdmin(
        request.params.id,
        request.params.passkeyId,
        sessionUser(request).userId,
        auditClientOf(request),
      )
      return reply.code(204).send(null)
    },
  )
}

export default adminRoutes
