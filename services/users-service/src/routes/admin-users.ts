import { type AuditEventType, adminViewOf } from '@authpair/accounts'
import {
  AdminCreateUserBodySchema,
  AdminPatchUserBodySchema,
  AdminUserListQuerySchema,
  AdminUserListSchema,
  AdminUserSchema,
  ProblemSchema,
  UserIdParamsSchema,
} from '@authpair/contracts'
import type { UserRecord } from '@authpair/db'
import { auditClientOf } from '@authpair/db/fastify'
import { decodeCursor, encodeCursor, HttpProblem } from '@authpair/service-kit'
import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'

const security = [{ bearerAuth: [] }]
const denied = { 401: ProblemSchema, 403: ProblemSchema }

/** /admin/users: role admin (as the database says now); the gateway also allowlists /admin/. */
const adminUserRoutes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.addHook('preHandler', fastify.requireAdmin)

  const audit = (
    request: FastifyRequest,
    type: AuditEventType,
    userId: string,
    data?: Record<string, unknown>,
  ) =>
    fastify.auditTrail.record(type, {
      userId,
      actorId: request.account?.id ?? null,
      client: auditClientOf(request),
      data,
    })

  const found = async (id: string): Promise<UserRecord> => {
    const user = await fastify.db.users.findById(id)
    if (!user) throw new HttpProblem(404, 'not_found', 'No such user.')
    return user
  }

  fastify.get(
    '/admin/users',
    {
      schema: {
        tags: ['admin'],
        summary: 'Users in creation order, a page at a time, filtered',
        security,
        querystring: AdminUserListQuerySchema,
        response: { 200: AdminUserListSchema, 400: ProblemSchema, ...denied },
      },
    },
    async (request) => {
      const { cursor, limit, email_prefix, role, active } = request.query
      const rows = await fastify.db.users.list({
        afterId: cursor ? decodeCursor(cursor) : undefined,
        limit: limit + 1,
        emailPrefix: email_prefix,
        role,
        isActive: active,
      })
      const page = rows.slice(0, limit)
      const last = page.at(-1)
      return {
        items: await Promise.all(page.map((user) => adminViewOf(fastify.db, user))),
        next_cursor: rows.length > limit && last ? encodeCursor(last.id) : null,
      }
    },
  )

  fastify.get(
    '/admin/users/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'One user',
        security,
        params: UserIdParamsSchema,
        response: { 200: AdminUserSchema, 400: ProblemSchema, 404: ProblemSchema, ...denied },
      },
    },
    async (request) => adminViewOf(fastify.db, await found(request.params.id)),
  )

  fastify.post(
    '/admin/users',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create a user (without a password they set one through the reset flow)',
        security,
        body: AdminCreateUserBodySchema,
        response: { 201: AdminUserSchema, 400: ProblemSchema, 409: ProblemSchema, ...denied },
      },
    },
    async (request, reply) => {
      const body = request.body
      const user = await fastify.accountRules.createUser({
        email: body.email,
        password: body.password,
        name: body.name ?? null,
        role: body.role,
        emailVerified: body.email_verified,
      })
      await audit(request, 'user_created', user.id, { role: user.role })
      reply.code(201)
      return adminViewOf(fastify.db, user)
    },
  )

  fastify.patch(
    '/admin/users/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Change role, activity, name or verification; deactivating ends every session',
        security,
        params: UserIdParamsSchema,
        body: AdminPatchUserBodySchema,
        response: {
          200: AdminUserSchema,
          400: ProblemSchema,
          404: ProblemSchema,
          409: ProblemSchema,
          ...denied,
        },
      },
    },
    async (request) => {
      const { role, is_active, name, email_verified } = request.body
      const updated = await fastify.accountRules.updateAccount(request.params.id, {
        ...(role !== undefined ? { role } : {}),
        ...(is_active !== undefined ? { isActive: is_active } : {}),
        ...(name !== undefined ? { name } : {}),
        ...(email_verified !== undefined ? { emailVerified: email_verified } : {}),
      })
      await audit(request, 'user_updated', updated.id, { changes: request.body })
      return adminViewOf(fastify.db, updated)
    },
  )

  fastify.delete(
    '/admin/users/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Delete a user: sessions end at once, the data is gone',
        security,
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
      await fastify.accountRules.deleteAccount(
        request.params.id,
        auditClientOf(request),
        request.account?.id ?? null,
      )
      return reply.code(204).send(null)
    },
  )
}

export default adminUserRoutes
