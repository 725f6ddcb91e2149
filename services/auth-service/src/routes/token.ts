import { sessionAuthorizes } from '@authpair/accounts'
import {
  IntrospectionRequestSchema,
  type IntrospectionResponse,
  IntrospectionResponseSchema,
  type OAuthError,
  type OAuthErrorCode,
  OAuthErrorSchema,
  OAuthTokenResponseSchema,
  TokenDeliveryQuerySchema,
  TokenRequestSchema,
} from '@authpair/contracts'
import { auditClientOf } from '@authpair/db/fastify'
import { isJwtVerifyError } from '@authpair/jwt-verify'
import { classifyError, HttpProblem } from '@authpair/service-kit'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { OAuthTokenError } from '../clients/client-registry.js'

/** Token responses must never be cached (RFC 6749 §5.1). */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

/** Parameters a request may carry more than once (RFC 8707 §2: several resources). */
const REPEATABLE = new Set(['resource'])

/**
 * RFC 6749 §3.2: the form's parameters, each at most once (§3.2: "MUST NOT be included more
 * than once"), as an object the route's schema then checks.
 */
function parseForm(body: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of new URLSearchParams(body)) {
    const seen = out[name]
    if (seen === undefined) out[name] = value
    else if (REPEATABLE.has(name)) out[name] = [...(Array.isArray(seen) ? seen : [seen]), value]
    else throw new OAuthTokenError('invalid_request', 400, `"${name}" is given more than once.`)
  }
  return out
}

interface ClientCredentials {
  id: string
  secret: string
  /** client_secret_basic: a failure must answer with WWW-Authenticate (RFC 6749 §5.2). */
  method: 'client_secret_basic' | 'client_secret_post'
}

/**
 * The client's credentials (RFC 6749 §2.3.1): HTTP Basic with the form-encoded id and secret
 * (client_secret_basic), or client_id and client_secret in the body (client_secret_post); one
 * method at most.
 */
function clientCredentials(
  authorization: string | undefined,
  body: { client_id?: string | undefined; client_secret?: string | undefined },
): ClientCredentials | undefined {
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '')
  const inBody = body.client_id !== undefined || body.client_secret !== undefined
  if (authorization !== undefined && !basic) {
    throw new OAuthTokenError('invalid_client', 401, 'Only HTTP Basic client authentication.', {
      'www-authenticate': 'Basic realm="authpair", charset="UTF-8"',
    })
  }
  if (basic && inBody) {
    throw new OAuthTokenError('invalid_request', 400, 'Authenticate the client one way only.')
  }
  if (basic) {
    const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    try {
      if (colon < 1) throw new Error('no id')
      return {
        id: decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' ')),
        secret: decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' ')),
        method: 'client_secret_basic',
      }
    } catch {
      throw new OAuthTokenError('invalid_client', 401, 'The Basic credentials are malformed.', {
        'www-authenticate': 'Basic realm="authpair", charset="UTF-8"',
      })
    }
  }
  if (inBody) {
    if (!body.client_id || body.client_secret === undefined) {
      throw new OAuthTokenError('invalid_client', 401, 'Send both client_id and client_secret.', {
        'www-authenticate': 'Basic realm="authpair", charset="UTF-8"',
      })
    }
    return { id: body.client_id, secret: body.client_secret, method: 'client_secret_post' }
  }
  return undefined
}

/** Anything thrown at the token endpoint, as RFC 6749 §5.2 answers it. */
function asOAuthError(error: unknown): {
  status: number
  body: OAuthError
  headers: Record<string, string>
} {
  if (error instanceof OAuthTokenError) {
    return {
      status: error.status,
      body: { error: error.error, error_description: error.message },
      headers: error.headers,
    }
  }
  const problem = classifyError(error as FastifyError)
  const code: OAuthErrorCode =
    problem.status === 429
      ? 'rate_limited'
      : problem.status === 503
        ? 'temporarily_unavailable'
        : problem.status >= 500
          ? 'server_error'
          : 'invalid_request'
  const detail =
    code === 'invalid_request' && problem.errors?.[0]
      ? `${problem.errors[0].path.replace(/^body\./, '')} ${problem.errors[0].message}`
      : problem.detail
  return {
    status: problem.status >= 500 || problem.status === 429 ? problem.status : 400,
    body: { error: code, error_description: detail },
    headers: problem.headers ?? {},
  }
}

/**
 * POST /auth/token, the token endpoint of RFC 6749 §3.2, so that standard OAuth client
 * libraries work: the refresh_token grant (the same rotation as /auth/token/refresh) and the
 * client_credentials grant (tokens for internal services). Form-encoded or JSON; errors are
 * RFC 6749 §5.2's JSON rather than problem+json, because that is what those libraries read.
 */
const tokenRoutes: FastifyPluginAsyncZod<{ now: () => Date }> = async (fastify, { now }) => {
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      try {
        done(null, parseForm(String(body)))
      } catch (error) {
        done(error as Error, undefined)
      }
    },
  )
  fastify.setErrorHandler((error, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, headers } = asOAuthError(error)
    if (status >= 500) request.log.error({ err: error }, 'token request failed')
    else request.log.info({ error: body.error, status }, body.error_description)
    return reply
      .code(status)
      .headers({ ...headers, ...NO_STORE })
      .send(body)
  })

  fastify.post(
    '/auth/token',
    {
      preValidation: fastify.tokenDelivery.refreshTokenFromCookie,
      schema: {
        tags: ['credentials'],
        summary: 'OAuth 2.0 token endpoint (RFC 6749): refresh_token and client_credentials grants',
        description:
          'Form-encoded (or JSON). Client authentication: client_secret_basic or client_secret_post. ' +
          'Errors are RFC 6749 §5.2 JSON ({error, error_description}), not problem+json.',
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        security: [{}, { clientBasic: [] }],
        querystring: TokenDeliveryQuerySchema,
        body: TokenRequestSchema,
        response: {
          200: OAuthTokenResponseSchema,
          400: OAuthErrorSchema,
          401: OAuthErrorSchema,
          429: OAuthErrorSchema,
          503: OAuthErrorSchema,
        },
      },
    },
    async (request, reply) => {
      reply.headers(NO_STORE)
      const body = request.body
      const who = { client: auditClientOf(request) }
      const credentials = clientCredentials(request.headers.authorization, body)
      if (body.grant_type === 'client_credentials') {
        if (!credentials) {
          throw new OAuthTokenError('invalid_client', 401, 'The client must authenticate.', {
            'www-authenticate': 'Basic realm="authpair", charset="UTF-8"',
          })
        }
        await fastify.limits.clientAuthPerIp.assertUnder(request.ip)
        let client: Awaited<ReturnType<typeof fastify.clients.authenticate>>
        try {
          client = await fastify.clients.authenticate(credentials.id, credentials.secret, who)
        } catch (error) {
          if (error instanceof OAuthTokenError) {
            await fastify.limits.clientAuthPerIp.recordFailure(request.ip)
          }
          throw error
        }
        await fastify.limits.tokensPerClient.consume(client.id)
        const resource = body.resource === undefined ? [] : [body.resource].flat()
        const audiences = [...(body.audience === undefined ? [] : [body.audience]), ...resource]
        return fastify.clients.issueToken(client, { scope: body.scope, audiences }, who)
      }
      if (body.grant_type === 'refresh_token') {
        // Our refresh tokens belong to public clients (apps); a client that authenticates
        // anyway must do so correctly.
        if (credentials) await fastify.clients.authenticate(credentials.id, credentials.secret, who)
        if (!body.refresh_token) {
          throw new OAuthTokenError('invalid_request', 400, 'refresh_token is required.')
        }
        await fastify.limits.refreshPerIp.call(fastify, request, reply)
        try {
          const pair = await fastify.accounts.refresh(body.refresh_token, who.client)
          return fastify.tokenDelivery.deliver(request, reply, pair)
        } catch (error) {
          if (error instanceof HttpProblem && error.code === 'invalid_refresh_token') {
            throw new OAuthTokenError('invalid_grant', 400, error.message)
          }
          throw error
        }
      }
      throw new OAuthTokenError(
        'unsupported_grant_type',
        400,
        'Supported grants: refresh_token, client_credentials.',
      )
    },
  )

  fastify.post(
    '/auth/introspect',
    {
      schema: {
        tags: ['credentials'],
        summary: 'Token introspection (RFC 7662), for registered clients',
        description:
          'Form-encoded (or JSON) `token`; the client authenticates as at the token endpoint. ' +
          'Answers {active: false} for anything but a live access token of this issuer.',
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        security: [{ clientBasic: [] }],
        body: IntrospectionRequestSchema,
        response: {
          200: IntrospectionResponseSchema,
          400: OAuthErrorSchema,
          401: OAuthErrorSchema,
          429: OAuthErrorSchema,
          503: OAuthErrorSchema,
        },
      },
    },
    async (request, reply): Promise<IntrospectionResponse> => {
      reply.headers(NO_STORE)
      const who = { client: auditClientOf(request) }
      const credentials = clientCredentials(request.headers.authorization, request.body)
      if (!credentials) {
        throw new OAuthTokenError('invalid_client', 401, 'The client must authenticate.', {
          'www-authenticate': 'Basic realm="authpair", charset="UTF-8"',
        })
      }
      await fastify.limits.clientAuthPerIp.assertUnder(request.ip)
      try {
        await fastify.clients.authenticate(credentials.id, credentials.secret, who)
      } catch (error) {
        if (error instanceof OAuthTokenError) {
          await fastify.limits.clientAuthPerIp.recordFailure(request.ip)
        }
        throw error
      }
      let token: Awaited<ReturnType<typeof fastify.jwtVerifier.verify>>
      try {
        token = await fastify.jwtVerifier.verify(request.body.token)
      } catch (error) {
        if (isJwtVerifyError(error)) return { active: false }
        throw error
      }
      if (token.kind === 'user') {
        const session = await fastify.db.sessions.findById(token.sessionId)
        if (!sessionAuthorizes(session, token.userId, now())) return { active: false }
      }
      const { claims } = token
      return {
        active: true,
        token_type: 'Bearer',
        ...(token.scopes.length > 0 ? { scope: token.scopes.join(' ') } : {}),
        ...(typeof claims.client_id === 'string' ? { client_id: claims.client_id } : {}),
        sub: claims.sub,
        iss: claims.iss,
        aud: claims.aud,
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
        ...(token.kind === 'user' ? { sid: token.sessionId, role: token.role } : {}),
      }
    },
  )
}

export default tokenRoutes
