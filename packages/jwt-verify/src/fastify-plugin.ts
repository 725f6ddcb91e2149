import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { isJwtVerifyError } from './errors.js'
import {
  createVerifier,
  type VerifiedToken,
  type Verifier,
  type VerifierOptions,
} from './verifier.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified bearer, set by `fastify.authenticate`; null before or without it. */
    user: VerifiedToken | null
  }
  interface FastifyInstance {
    /** preHandler: 401 unless the request carries a valid access token; sets request.user. */
    authenticate: preHandlerAsyncHookHandler
    /** preHandler: authenticate, then 403 unless the token's role is one of `roles`. */
    requireRole: (...roles: string[]) => preHandlerAsyncHookHandler
    jwtVerifier: Verifier
  }
}

/** An HTTP error with the status, stable code and headers an error handler needs. */
export class AuthHttpError extends Error {
  readonly statusCode: number
  readonly code: 'unauthorized' | 'invalid_token' | 'forbidden' | 'service_unavailable'
  readonly headers: Record<string, string>
  constructor(
    statusCode: number,
    code: AuthHttpError['code'],
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(message)
    this.name = 'AuthHttpError'
    this.statusCode = statusCode
    this.code = code
    this.headers = headers
  }
}

export type JwtVerifyPluginOptions = { verifier: Verifier } | VerifierOptions

const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i

/**
 * Fastify plugin: decorates `request.user` (null until authenticated), `fastify.authenticate`
 * and `fastify.requireRole(...)`. Errors carry statusCode, a stable `code` and the RFC 6750
 * WWW-Authenticate header, for the app's error handler to render.
 */
export const jwtVerifyPlugin = fp<JwtVerifyPluginOptions>(
  async (fastify, options) => {
    const verifier = 'verifier' in options ? options.verifier : createVerifier(options)
    fastify.decorate('jwtVerifier', verifier)
    fastify.decorateRequest('user', null)

    const authenticate = async (request: FastifyRequest, _reply: FastifyReply) => {
      const header = request.headers.authorization
      if (!header) {
        throw new AuthHttpError(401, 'unauthorized', 'A bearer access token is required.', {
          'www-authenticate': 'Bearer',
        })
      }
      const token = BEARER.exec(header)?.[1]
      if (!token) {
        throw new AuthHttpError(
          401,
          'invalid_token',
          'The Authorization header is not a bearer token.',
          {
            'www-authenticate': 'Bearer error="invalid_request"',
          },
        )
      }
      try {
        request.user = await verifier.verify(token)
      } catch (error) {
        if (isJwtVerifyError(error) && error.code === 'jwks_unavailable') {
          request.log.error({ err: error }, 'cannot verify tokens: JWKS unavailable')
          throw new AuthHttpError(
            503,
            'service_unavailable',
            'Tokens cannot be verified right now.',
            {
              'retry-after': '5',
            },
          )
        }
        const code = isJwtVerifyError(error) ? error.code : 'token_malformed'
        request.log.info({ reason: code }, 'access token refused')
        throw new AuthHttpError(401, 'invalid_token', 'The access token is not valid.', {
          'www-authenticate': 'Bearer error="invalid_token"',
        })
      }
    }
    fastify.decorate('authenticate', authenticate)
    fastify.decorate('requireRole', (...roles: string[]) => {
      if (roles.length === 0) throw new TypeError('requireRole needs at least one role')
      return async (request: FastifyRequest, reply: FastifyReply) => {
        if (!request.user) await authenticate(request, reply)
        if (!request.user || !roles.includes(request.user.role)) {
          throw new AuthHttpError(403, 'forbidden', 'This needs a role you do not have.')
        }
      }
    })
  },
  { name: 'jwt-verify', fastify: '5.x' },
)

export default jwtVerifyPlugin
