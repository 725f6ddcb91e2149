import {
  PasswordChangeBodySchema,
  ProblemSchema,
  SessionIdParamsSchema,
  SessionListSchema,
} from '@authpair/contracts'
import { auditClientOf } from '@authpair/db/fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { sessionUser } from '../plugins/app/authentication.js'

const bearer = [{ bearerAuth: [] }]

/** Everything here needs a live session's access token (fastify.authenticateSession). */
const sessionRoutes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.addHook('preHandler', fastify.authenticateSession)

  fastify.post(
    '/auth/logout-all',
    {
      schema: {
        tags: ['sessions'],
        summary: 'End every session of the caller, this one included',
        security: bearer,
        response: { 204: z.null(), 401: ProblemSchema },
      },
    },
    async (request, reply) => {
      await fastify.accounts.logoutAll(sessionUser(request).userId, auditClientOf(request))
      return reply.code(204).send(null)
    },
  )

  fastify.get(
    '/auth/sessions',
    {
      schema: {
        tags: ['sessions'],
        summary: 'The caller’s live sessions, the current one marked',
        security: bearer,
        response: { 200: SessionListSchema, 401: ProblemSchema },
      },
    },
    async (request) => {
      const { userId, sessionId } = sessionUser(request)
      const sessions = await fastify.accounts.listSessions(userId)
      return {
        items: sessions.map((s) => ({
          id: s.id,
          created_at: s.createdAt.toISOString(),
          last_used_at: s.lastUsedAt.toISOString(),
          expires_at: s.expiresAt.toISOString(),
          user_agent: s.userAgent,
          ip: s.ip,
          current: s.id === sessionId,
        })),
      }
    },
  )

  fastify.delete(
    '/auth/sessions/:id',
    {
      schema: {
        tags: ['sessions'],
        summary: 'End one of the caller’s sessions (404 for anyone else’s)',
        security: bearer,
        params: SessionIdParamsSchema,
        response: { 204: z.null(), 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      await fastify.accounts.revokeSession(
        sessionUser(request).userId,
        request.params.id,
        auditClientOf(request),
      )
      return reply.code(204).send(null)
    },
  )

  fastify.post(
    '/auth/password/change',
    {
      schema: {
        tags: ['credentials'],
        summary: 'Change the password; every other session is ended',
        security: bearer,
        body: PasswordChangeBodySchema,
        response: { 204: z.null(), 400: ProblemSchema, 401: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { userId, sessionId } = sessionUser(request)
      await fastify.accounts.changePassword(
        userId,
        sessionId,
        { currentPassword: request.body.current_password, newPassword: request.body.new_password },
        auditClientOf(request),
        request.headers['accept-language'],
      )
      return reply.code(204).send(null)
    },
  )
}

export default sessionRoutes
