import Fastify, {
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyPluginOptions,
  type FastifyServerOptions,
  LogController,
  type onRouteHookHandler,
} from 'fastify'
import fp from 'fastify-plugin'
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { BaseConfig } from './config-loader.js'
import { prettyLogStream, wantsPrettyLogs } from './pretty-logs.js'
import { classifyError, sendProblem } from './problem.js'
import { genReqId } from './request-id.js'
import { responseSerializerCompiler } from './response-serializer.js'

export type ServiceInstance = FastifyInstance & ReturnType<FastifyInstance['withTypeProvider']>

export interface CreateServerOptions {
  /** Service name, on every log line as `service`. */
  name: string
  config: BaseConfig
  /** Replace the logger (tests pass `false` or a stream-backed pino options object). */
  logger?: FastifyServerOptions['logger']
}

/**
 * The Fastify instance both services start from: pino logs carrying the request id under
 * `request_id`, secrets redacted, pretty at a development terminal (JSON otherwise), the gateway as the only trusted proxy, zod validation and
 * serialization, and timeouts so a slow client cannot hold a connection forever.
 */
export function createServer(options: CreateServerOptions): FastifyInstance {
  const { config } = options
  const logger =
    options.logger === undefined
      ? {
          level: config.LOG_LEVEL,
          base: { service: options.name },
          // Development at a terminal: readable lines; JSON everywhere else.
          ...(wantsPrettyLogs(config) ? { stream: prettyLogStream() } : {}),
        }
      : options.logger
  const app = Fastify({
    // Whoever supplies the logger options (a test's stream), secrets stay out of every line.
    logger:
      typeof logger === 'object' && logger !== null && !('info' in logger)
        ? { ...logger, redact: LOG_REDACTION, serializers: { req: serializeRequest } }
        : logger,
    genReqId,
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    trustProxy: config.TRUST_PROXY,
    bodyLimit: config.BODY_LIMIT_BYTES,
    // A request (headers and body) must arrive within 30 s; idle keep-alive sockets close after
    // 72 s, longer than the gateway's upstream keepalive_timeout (60 s) so nginx closes first.
    requestTimeout: 30_000,
    keepAliveTimeout: 72_000,
    connectionTimeout: 60_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 200 },
    // What the router refuses before any route or error handler runs: a path that is not valid
    // percent-encoded UTF-8 (400), a parameter over maxParamLength (414). Fastify would answer
    // plain JSON echoing the whole path back; these get problem+json like every other error,
    // and the request id (no onRequest hook runs for them).
    frameworkErrors: (error, request, reply) => {
      const { status, code } = classifyError(error)
      reply.header('x-request-id', request.id)
      if (status >= 500) request.log.error({ err: error }, 'request failed')
      else request.log.info({ code: error.code, status }, 'request URL refused by the router')
      sendProblem(
        reply,
        status,
        code,
        status >= 500 ? 'Something went wrong on our side.' : 'The request URL is not valid.',
      )
    },
  })
  // JSON in, JSON out: a text/plain body is refused (415) rather than handed to validation.
  app.removeContentTypeParser('text/plain')
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(responseSerializerCompiler)

  // Graceful close: once closing starts, every response still being written says
  // `Connection: close`, so a keep-alive client (or the gateway's upstream pool) lets go of the
  // socket and server.close() completes as soon as in-flight requests are done, instead of
  // waiting out the keep-alive timeout.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close')
  })
  return app.withTypeProvider<ZodTypeProvider>()
}

const LOG_REDACTION = {
  paths: [
    'req.headers.authorization',
    'req.headers.cookie',
    'res.headers["set-cookie"]',
    '*.password',
    '*.refresh_token',
    '*.token',
  ],
  censor: '[redacted]',
}

/** Query parameters that carry a credential: provider codes, states, tokens, PKCE verifiers. */
const SECRET_QUERY_PARAMETER =
  /^(code|state|token|code_verifier|access_token|refresh_token|id_token|client_secret)$/i

/** `url` with the values of credential-bearing query parameters replaced. */
export function redactUrl(url: string): string {
  const at = url.indexOf('?')
  if (at < 0) return url
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const name = pair.split('=', 1)[0] ?? ''
      let decoded = name
      try {
        decoded = decodeURIComponent(name)
      } catch {}
      return SECRET_QUERY_PARAMETER.test(decoded) ? `${name}=[redacted]` : pair
    })
  return `${url.slice(0, at)}?${query.join('&')}`
}

/**
 * pino's view of a request (Fastify's default fields), with the URL's secrets redacted: the
 * OAuth callback's `code` and `state` would otherwise sit in every request log.
 */
function serializeRequest(request: {
  method: string
  url: string
  host?: string
  hostname?: string
  ip?: string
  socket?: { remotePort?: number }
}) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host ?? request.hostname,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  }
}

export interface BuildServiceOptions<O extends FastifyPluginOptions> {
  name: string
  config: BaseConfig
  logger?: FastifyServerOptions['logger']
  /** The service as one plugin (fastify/demo's app.ts). */
  app: FastifyPluginAsync<O>
  appOptions: O
  /**
   * Test instrumentation only: a Fastify `onRoute` hook added before the app registers any
   * route, so it sees (and may wrap) every route's options. The fuzz test uses it to count
   * handler calls. Default: none; server.ts never sets it, so production has no such hook.
   */
  onRoute?: onRouteHookHandler
}

/**
 * The factory each service exports (tests and server.ts share it): the configured server with
 * the service's app plugin registered through fastify-plugin, so its decorators (db, keys, …)
 * stay visible on the returned instance.
 */
export async function buildService<O extends FastifyPluginOptions>(
  options: BuildServiceOptions<O>,
): Promise<FastifyInstance> {
  const server = createServer({
    name: options.name,
    config: options.config,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  })
  if (options.onRoute) server.addHook('onRoute', options.onRoute)
  await server.register(fp(options.app, { name: `${options.name}-app` }), options.appOptions)
  return server
}
