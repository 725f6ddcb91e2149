import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { InsufficientScopeError, isJwtVerifyError } from './errors.js'
import { checkScopeNames, hasScopes } from './scopes.js'
import {
  createVerifier,
  type VerifiedToken,
  type Verifier,
  type VerifierOptions,
} from './verifier.js'

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The verified bearer, set by `fastify.authenticate` (and the guards built on it); null
     * before or without it. A user's token or a client's: switch on `kind`.
     */
    user: VerifiedToken | null
  }
  interface FastifyInstance {
    /** preHandler: 401 unless the request carries a valid access token (either kind); sets request.user. */
    authenticate: preHandlerAsyncHookHandler
    /** preHandler: authenticate, then 403 `forbidden` unless the token is a user's (not a client's). */
    requireUser: preHandlerAsyncHookHandler
    /** preHandler: requireUser, then 403 `forbidden` unless the token's role is one of `roles`. */
    requireRole: (...roles: string[]) => preHandlerAsyncHookHandler
    /**
     * preHandler: authenticate, then 403 `insufficient_scope` (RFC 6750 §3.1, with its
     * WWW-Authenticate challenge) unless the token, of either kind, carries every one of `scopes`.
     */
    requireScope: (...scopes: string[]) => preHandlerAsyncHookHandler
    /**
     * preHandler: authenticate, then 403 `forbidden` unless the token is a client's, then 403
     * `insufficient_scope` unless it carries every one of `scopes` (none: any client).
     */
    requireClient: (...scopes: string[]) => preHandlerAsyncHookHandler
    jwtVerifier: Verifier
  }
}

/** An HTTP error with the status, stable code and headers an error handler needs. */
export class AuthHttpError extends Error {
  readonly statusCode: number
  readonly code:
    | 'unauthorized'
    | 'invalid_token'
    | 'forbidden'
    | 'insufficient_scope'
    | 'service_unavailable'
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
 * Fastify plugin: decorates `request.user` (null until authenticated), `fastify.authenticate`,
 * and the guards `requireUser`, `requireRole(...)`, `requireScope(...)`, `requireClient(...)`. Errors carry statusCode, a stable `code` and the RFC 6750
 * WWW-Authenticate header, for the app's error handler to render.
 */
export const jwtVerifyPlugin = fp<JwtVerifyPluginOptions>(
  async (fastify, options) => {
    const owned = !('verifier' in options)
    const verifier = 'verifier' in options ? options.verifier : createVerifier(options)
    fastify.decorate('jwtVerifier', verifier)
    // A verifier the plugin made stops following the revocation feed with the app.
    if (owned) fastify.addHook('onClose', async () => verifier.close())
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
        if (
          isJwtVerifyError(error) &&
          (error.code === 'jwks_unavailable' || error.code === 'revocation_stale')
        ) {
          request.log.error({ err: error }, `cannot verify tokens: ${error.code}`)
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

    // The guards authenticate only when nothing before them did, so they stack with an app's own
    // preHandlers (or each other) at the cost of one verification.
    const bearer = async (request: FastifyRequest, reply: FastifyReply) => {
      if (!request.user) await authenticate(request, reply)
      return request.user as VerifiedToken
    }
    // A client token is a valid credential that does not stand for a user, and a user's token
    // does not stand for a service: 403, not 401, so that a client library does not fetch a
    // fresh token of the same kind and try again.
    const notAUser = () =>
      new AuthHttpError(
        403,
        'forbidden',
        'This needs a user’s token; a client token cannot act as a user.',
      )
    const notAClient = () =>
      new AuthHttpError(
        403,
        'forbidden',
        'This is for service clients; a user’s token cannot call it.',
      )
    const insufficientScope = (scopes: readonly string[]) => {
      const error = new InsufficientScopeError(scopes)
      return new AuthHttpError(
        403,
        'insufficient_scope',
        `This needs a token with scope ${scopes.join(' ')}.`,
        { 'www-authenticate': error.challenge },
      )
    }

    const requireUser = async (request: FastifyRequest, reply: FastifyReply) => {
      if ((await bearer(request, reply)).kind !== 'user') throw notAUser()
    }
    fastify.decorate('requireUser', requireUser)
    fastify.decorate('requireRole', (...roles: string[]) => {
      if (roles.length === 0) throw new TypeError('requireRole needs at least one role')
      return async (request: FastifyRequest, reply: FastifyReply) => {
        const token = await bearer(request, reply)
        if (token.kind !== 'user') throw notAUser()
        if (!roles.includes(token.role)) {
          throw new AuthHttpError(403, 'forbidden', 'This needs a role you do not have.')
        }
      }
    })
    fastify.decorate('requireScope', (...scopes: string[]) => {
      checkScopeNames(scopes, 'requireScope')
      const required = Object.freeze([...scopes])
      return async (request: FastifyRequest, reply: FastifyReply) => {
        if (!hasScopes(await bearer(request, reply), ...required)) throw insufficientScope(required)
      }
    })
    fastify.decorate('requireClient', (...scopes: string[]) => {
      if (scopes.length > 0) checkScopeNames(scopes, 'requireClient')
      const required = Object.freeze([...scopes])
      return async (request: FastifyRequest, reply: FastifyReply) => {
        const token = await bearer(request, reply)
        if (token.kind !== 'client') throw notAClient()
        if (required.length > 0 && !hasScopes(token, ...required)) throw insufficientScope(required)
      }
    })
  },
  { name: 'jwt-verify', fastify: '5.x' },
)

export default jwtVerifyPlugin
