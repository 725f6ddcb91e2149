import type { TokenDeliveryQuery, TokenPair } from '@authpair/contracts'
import { HttpProblem } from '@authpair/service-kit'
import { type SetCookie, stringifySetCookie } from 'cookie'
import type { FastifyReply, FastifyRequest, preValidationAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { AuthConfig } from '../../config.js'
import { readCookie } from '../../oauth/state-cookie.js'

/**
 * The routes that read the refresh cookie. A cookie has one Path, so it is set once per path:
 * `/auth/token` covers /auth/token and /auth/token/refresh (RFC 6265 §5.1.4), and the other
 * covers logout. No other route ever receives the refresh token.
 */
export const REFRESH_COOKIE_PATHS = ['/auth/token', '/auth/logout'] as const

/** Token responses must never be cached (RFC 6749 §5.1). */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

/** The header a cross-site HTML form cannot send, and a cross-origin fetch only after CORS. */
const CSRF_HEADER = 'x-requested-with'
const CSRF_HEADER_VALUE = 'fetch'

export interface TokenDelivery {
  /**
   * What a route returning `pair` answers: the pair, or in cookie mode the pair without its
   * refresh token, which goes into the HttpOnly cookie. Sets Cache-Control: no-store.
   */
  deliver(
    request: FastifyRequest,
    reply: FastifyReply,
    pair: TokenPair,
  ): Omit<TokenPair, 'refresh_token'> & { refresh_token?: string }
  /**
   * preValidation of the routes that take a refresh token (refresh, logout): in cookie mode the
   * token comes from the cookie, and only from an allowed origin with the CSRF header. The
   * body's `refresh_token` is then the cookie's, whatever the body said.
   */
  refreshTokenFromCookie: preValidationAsyncHookHandler
  /** After a cookie-mode logout: the browser drops the cookie at every path. */
  clear(request: FastifyRequest, reply: FastifyReply): void
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Where token pairs go: the body, or cookie mode for browser apps (DESIGN.md, Clients). */
    tokenDelivery: TokenDelivery
  }
}

function inCookieMode(request: FastifyRequest): boolean {
  return (request.query as TokenDeliveryQuery | undefined)?.token_delivery === 'cookie'
}

export default fp<{ config: AuthConfig }>(
  async (fastify, { config }) => {
    // In production the cookie is Secure, and its name's __Secure- prefix makes the browser
    // refuse it from anything but HTTPS, so no plain-HTTP page can plant or overwrite it.
    const secure = config.NODE_ENV === 'production'
    const name = secure ? '__Secure-authpair_refresh' : 'authpair_refresh'
    // The issuer's own origin is the gateway's: pages served there (the admin console at
    // /admin/) use cookie mode without being listed in CORS_ORIGINS.
    const allowedOrigins = new Set([...config.CORS_ORIGINS, new URL(config.ISSUER).origin])
    const attributes: Omit<SetCookie, 'name' | 'value'> = {
      httpOnly: true,
      sameSite: 'strict',
      secure,
    }

    const setCookies = (reply: FastifyReply, value: string, maxAge: number) =>
      reply.header(
        'set-cookie',
        REFRESH_COOKIE_PATHS.map((path) =>
          stringifySetCookie({ ...attributes, name, value, path, maxAge }),
        ),
      )

    const delivery: TokenDelivery = {
      deliver(request, reply, pair) {
        reply.headers(NO_STORE)
        if (!inCookieMode(request)) return pair
        const { refresh_token, ...rest } = pair
        setCookies(reply, refresh_token, pair.refresh_expires_in)
        return rest
      },

      async refreshTokenFromCookie(request) {
        if (!inCookieMode(request)) return
        const body = request.body as Record<string, unknown> | null | undefined
        // The token endpoint's other grants carry no refresh token.
        if (body?.grant_type !== undefined && body.grant_type !== 'refresh_token') return
        const token = readCookie(request.headers.cookie, name)
        if (!token) {
          throw new HttpProblem(
            401,
            'invalid_refresh_token',
            'Cookie mode: no refresh cookie came with the request.',
          )
        }
        const origin = request.headers.origin
        if (origin === undefined || !allowedOrigins.has(origin)) {
          throw new HttpProblem(
            403,
            'origin_not_allowed',
            "Cookie mode: the request must come from the issuer's origin or one in CORS_ORIGINS.",
          )
        }
        if (request.headers[CSRF_HEADER] !== CSRF_HEADER_VALUE) {
          throw new HttpProblem(
            403,
            'origin_not_allowed',
            `Cookie mode: send the header "X-Requested-With: ${CSRF_HEADER_VALUE}".`,
          )
        }
        request.body = { ...(typeof body === 'object' ? body : {}), refresh_token: token }
      },

      clear(request, reply) {
        if (inCookieMode(request)) setCookies(reply, '', 0)
      },
    }
    fastify.decorate('tokenDelivery', delivery)
  },
  { name: 'token-delivery', fastify: '5.x' },
)
