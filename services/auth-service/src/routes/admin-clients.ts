import {
  ClientIdParamsSchema,
  ClientListQuerySchema,
  ClientListSchema,
  ClientSchema,
  ClientSecretSchema,
  ClientWithSecretSchema,
  CreateClientBodySchema,
  PatchClientBodySchema,
  ProblemSchema,
} from '@authpair/contracts'
import { auditClientOf } from '@authpair/db/fastify'
import { decodeCursor, encodeCursor, HttpProblem } from '@authpair/service-kit'
import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { sessionUser } from '../plugins/app/authentication.js'

const bearer = [{ bearerAuth: [] }]
const denied = { 401: ProblemSchema, 403: ProblemSchema }

/**
 * /admin/clients: the clients of the client-credentials grant (internal services). Role admin,
 * on a live session; the gateway also limits /admin/ to ADMIN_ALLOW_IPS. A secret is in the
 * answer that made it, and nowhere else, ever.
 */
const adminClientRoutes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.addHook('preHandler', fastify.requireAdmin)
  const who = (request: FastifyRequest) => ({
    client: auditClientOf(request),
    actorId: sessionUser(request).userId,
  })
  const noStore = { 'cache-control': 'no-store', pragma: 'no-cache' }

  fastify.get(
    '/admin/clients',
    {
      schema: {
        tags: ['admin'],
        summary: 'Registered clients in creation order, a page at a time',
        security: bearer,
        querystring: ClientListQuerySchema,
        response: { 200: ClientListSchema, 400: ProblemSchema, ...denied },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query
      const rows = await fastify.clients.list(cursor ? decodeCursor(cursor) : undefined, limit + 1)
      const page = rows.slice(0, limit)
      const last = page.at(-1)
      return {
        items: page.map((client) => fastify.clients.view(client)),
        next_cursor: rows.length > limit && last ? encodeCursor(last.id) : null,
      }
    },
  )

  fastify.post(
    '/admin/clients',
    {
      schema: {
        tags: ['admin'],
        summary: 'Register a client; its secret is in this answer only',
        security: bearer,
        body: CreateClientBodySchema,
        response: { 201: ClientWithSecretSchema, 400: ProblemSchema, ...denied },
      },
    },
    async (request, reply) => {
      const { client, secret } = await fastify.clients.create(request.body, who(request))
      reply.code(201).headers(noStore)
      return { ...fastify.clients.view(client), client_secret: secret }
    },
  )

  fastify.get(
    '/admin/clients/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'One client',
        security: bearer,
        params: ClientIdParamsSchema,
        response: { 200: ClientSchema, 400: ProblemSchema, 404: ProblemSchema, ...denied },
      },
    },
    async (request) => {
      const client = await fastify.db.clients.findById(request.params.id)
      if (!client) throw new HttpProblem(404, 'not_found', 'No such client.')
      return fastify.clients.view(client)
    },
  )

  fastify.post(
    '/admin/clients/:id/secret',
    {
      schema: {
        tags: ['admin'],
        summary: 'A new secret for a client (the old one stops working at once); shown once',
        security: bearer,
        params: ClientIdParamsSchema,
        response: { 200: ClientSecretSchema, 400: ProblemSchema, 404: ProblemSchema, ...denied },
      },
    },
    async (request, reply) => {
      const { secret } = await fastify.clients.rotateSecret(request.params.id, who(request))
      reply.headers(noStore)
      return { client_secret: secret }
    },
  )

  fastify.patch(
    '/admin/clients/:id',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Change a client’s name, scopes, audiences, or disable it (its secret stops working)',
        security: bearer,
        params: ClientIdParamsSchema,
        body: PatchClientBodySchema,
        response: { 200: ClientSchema, 400: ProblemSchema, 404: ProblemSchema, ...denied },
      },
    },
    async (request) =>
      fastify.clients.view(
        await fastify.clients.update(request.params.id, request.body, who(request)),
      ),
  )

  fastify.delete(
    '/admin/clients/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Delete a client: its secret stops working at once',
        security: bearer,
        params: ClientIdParamsSchema,
        response: { 204: z.null(), 400: ProblemSchema, 404: ProblemSchema, ...denied },
      },
    },
    async (request, reply) => {
      await fastify.clients.delete(request.params.id, who(request))
      return reply.code(204).send(null)
    },
  )
}

export default adminClientRoutes
