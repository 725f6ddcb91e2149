import { type RateLimit, rateLimitStore } from '@authpair/service-kit'
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { accountKey, SignInThrottle } from '../../accounts/sign-in-throttle.js'
import type { AuthConfig } from '../../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandlers that answer 429 problem+json (with Retry-After) past each limit. */
    limits: {
      loginPerIp: preHandlerAsyncHookHandler
      registerPerIp: preHandlerAsyncHookHandler
      refreshPerIp: preHandlerAsyncHookHandler
      forgotPerIp: preHandlerAsyncHookHandler
      forgotPerEmail: preHandlerAsyncHookHandler
      /** After authentication: verification mails per signed-in user. */
      verifyResendPerUser: preHandlerAsyncHookHandler
      /** Client-credentials tokens per client. */
      tokensPerClient: RateLimit
      /** Failed client authentications per client address (only failures count). */
      clientAuthPerIp: RateLimit
    }
    /** Failed sign-ins per account: the account rules consult and feed it (AccountService). */
    signInThrottle: SignInThrottle
  }
}

const MINUTE = 60_000

function emailOf(request: FastifyRequest): string {
  const email = (request.body as { email?: unknown } | undefined)?.email
  return typeof email === 'string' ? email : ''
}

/**
 * Brute-force limits. With REDIS_URL the counters live in Redis, so a limit holds across
 * replicas; otherwise in this process's memory. A Redis that cannot be reached fails closed:
 * the limited route answers 503, never unlimited. The client address is request.ip, i.e. what
 * the gateway (the only trusted proxy) saw.
 */
export default fp<{ config: AuthConfig }>(
  async (fastify, { config }) => {
    await fastify.register(rateLimitStore, { config })
    const limit = (name: string, max: number, windowMs: number) =>
      fastify.rateLimit(name, max, windowMs)
    const perRequest =
      (rule: RateLimit, key: (request: FastifyRequest) => string): preHandlerAsyncHookHandler =>
      async (request) => {
        await rule.consume(key(request))
      }

    const forgotPerEmailIp = limit(
      'forgot-email-ip',
      config.RATE_LIMIT_FORGOT_PER_EMAIL_IP,
      60 * MINUTE,
    )
    const forgotPerEmail = limit('forgot-email', config.RATE_LIMIT_FORGOT_PER_EMAIL, 60 * MINUTE)
    fastify.decorate('limits', {
      loginPerIp: perRequest(
        limit('login-ip', config.RATE_LIMIT_LOGIN_PER_IP, MINUTE),
        (r) => r.ip,
      ),
      registerPerIp: perRequest(
        limit('register-ip', config.RATE_LIMIT_REGISTER_PER_IP, 60 * MINUTE),
        (r) => r.ip,
      ),
      refreshPerIp: perRequest(
        limit('refresh-ip', config.RATE_LIMIT_REFRESH_PER_IP, MINUTE),
        (r) => r.ip,
      ),
      forgotPerIp: perRequest(
        limit('forgot-ip', config.RATE_LIMIT_FORGOT_PER_IP, 60 * MINUTE),
        (r) => r.ip,
      ),
      // Per address and client first, so a stranger spends their own allowance, not the owner's.
      forgotPerEmail: async (request) => {
        const account = accountKey(emailOf(request))
        await forgotPerEmailIp.consume(`${account}:${request.ip}`)
        await forgotPerEmail.consume(account)
      },
      verifyResendPerUser: perRequest(
        limit('verify-resend-user', config.RATE_LIMIT_VERIFY_RESEND_PER_USER, 60 * MINUTE),
        (r) => (r.user?.kind === 'user' ? r.user.userId : r.ip),
      ),
      tokensPerClient: limit('token-client', config.RATE_LIMIT_TOKEN_PER_CLIENT, MINUTE),
      clientAuthPerIp: limit(
        'client-auth-ip',
        config.RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_IP,
        15 * MINUTE,
      ),
    })
    fastify.decorate(
      'signInThrottle',
      new SignInThrottle(
        limit('login-account-ip', config.RATE_LIMIT_LOGIN_PER_ACCOUNT_IP, 15 * MINUTE),
        limit('login-account', config.RATE_LIMIT_LOGIN_PER_ACCOUNT, 15 * MINUTE),
      ),
    )
  },
  { name: 'rate-limits', fastify: '5.x' },
)
