/**
 * The development gateway: the stand-in for nginx that `pnpm start` runs on one port. Same
 * routes as docs/design.md's gateway rules; the production gateway is nginx (nginx/).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import type { IncomingHttpHeaders } from 'node:http'
import { isIP } from 'node:net'
import { extname, join } from 'node:path'
import { consoleDir as builtConsoleDir } from '@authpair/admin-console'
import { genReqId, problemErrors, requestIdHeader, sendProblem } from '@authpair/service-kit'
import proxy, { type FastifyHttpProxyOptions } from '@fastify/http-proxy'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'

export interface GatewayOptions {
  authUpstream: string
  usersUpstream: string
  /** Client addresses (exact IPs) allowed to reach /admin/. Default loopback only. */
  adminAllowIps: readonly string[]
  /**
   * Largest request body passed on, bytes. Default 1 MiB, nginx's own default; the production
   * gateway's is 256 KiB (nginx/authpair/serve.conf).
   */
  bodyLimitBytes?: number
  /** Upstream response timeout, milliseconds. Default 30000. */
  upstreamTimeoutMs?: number
  logger?: boolean | { level: string }
  /** The built admin console (apps/admin-console's dist). Default: that package's. */
  consoleDir?: string
}

/** `::ffff:127.0.0.1` and `127.0.0.1` are the same client. */
function normalizeIp(address: string | undefined): string {
  if (!address) return ''
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const

/**
 * The admin console's pages: its own files and same-origin calls only, no inline script or
 * style, no frames (nginx/authpair/console.conf sends the same).
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
  "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
}

interface ConsoleFile {
  body: Buffer
  type: string
}

/** The console's files, read once: only these exact names are served (no path to traverse). */
function readConsole(dir: string): { index?: ConsoleFile; assets: Map<string, ConsoleFile> } {
  const assets = new Map<string, ConsoleFile>()
  const file = (path: string): ConsoleFile => ({
    body: readFileSync(path),
    type: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
  })
  if (!existsSync(join(dir, 'index.html'))) return { assets }
  for (const name of readdirSync(join(dir, 'console'))) {
    assets.set(name, file(join(dir, 'console', name)))
  }
  return { index: file(join(dir, 'index.html')), assets }
}

export async function buildGateway(options: GatewayOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    genReqId,
    requestIdHeader: false,
    bodyLimit: options.bodyLimitBytes ?? 1_048_576,
    // The gateway is the edge: it believes no X-Forwarded-For (trustProxy off), and tells the
    // services the address it saw itself.
    trustProxy: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  })
  await app.register(problemErrors)
  await app.register(requestIdHeader)
  app.addHook('onSend', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS)
  })
  // The proxy streams bodies through unparsed, so Fastify's bodyLimit does not apply to them:
  // refuse by Content-Length here (a chunked body is still capped by each service's own limit).
  const bodyLimit = options.bodyLimitBytes ?? 1_048_576
  app.addHook('onRequest', async (request, reply) => {
    const length = Number(request.headers['content-length'] ?? 0)
    if (length > bodyLimit) {
      reply.header('connection', 'close')
      return sendProblem(reply, 413, 'payload_too_large', `The body is over ${bodyLimit} bytes.`)
    }
  })

  const adminAllow = new Set(options.adminAllowIps.map(normalizeIp))
  const adminOnly = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!adminAllow.has(normalizeIp(request.socket.remoteAddress))) {
      return sendProblem(
        reply,
        403,
        'forbidden',
        'The admin API is not reachable from this address.',
      )
    }
  }

  const replyOptions: FastifyHttpProxyOptions['replyOptions'] = {
    rewriteRequestHeaders: (request, headers: IncomingHttpHeaders) => {
      const forwarded: IncomingHttpHeaders = { ...headers }
      // Whatever the client claimed is dropped: the services see the address the gateway saw.
      delete forwarded.forwarded
      delete forwarded['x-real-ip']
      forwarded['x-forwarded-for'] = normalizeIp(request.socket.remoteAddress)
      forwarded['x-forwarded-proto'] = 'http'
      forwarded['x-request-id'] = String(request.id)
      return forwarded
    },
    onError: (rawReply, { error }) => {
      // The hook is typed for HTTP/2 too; this gateway is HTTP/1 only.
      const reply = rawReply as unknown as FastifyReply
      reply.request.log.warn({ err: error }, 'upstream failed')
      if ((error as { statusCode?: number }).statusCode === 504) {
        return sendProblem(reply, 504, 'gateway_timeout', 'The service did not answer in time.')
      }
      return sendProblem(reply, 502, 'bad_gateway', 'The service is unreachable; retry shortly.')
    },
  }

  // The admin console: /admin/ and /admin/console/*, under the same allowlist; every other
  // path under /admin/ is the users-service's admin API.
  const consoleFiles = readConsole(options.consoleDir ?? builtConsoleDir)
  const sendConsoleFile = (reply: FastifyReply, file: ConsoleFile | undefined) => {
    if (!file) {
      return sendProblem(
        reply,
        404,
        'not_found',
        'No such file (is the console built? pnpm build).',
      )
    }
    return reply
      .headers({ 'content-security-policy': CONSOLE_CSP, 'cache-control': 'no-cache' })
      .type(file.type)
      .send(file.body)
  }
  app.get('/admin', { preHandler: adminOnly }, async (_request, reply) => reply.redirect('/admin/'))
  app.get('/admin/', { preHandler: adminOnly }, async (_request, reply) =>
    sendConsoleFile(reply, consoleFiles.index),
  )
  app.get<{ Params: { '*': string } }>(
    '/admin/console/*',
    { preHandler: adminOnly },
    async (request, reply) => sendConsoleFile(reply, consoleFiles.assets.get(request.params['*'])),
  )

  const routes: { prefix: string; upstream: string; admin?: boolean; routes?: string[] }[] = [
    { prefix: '/auth', upstream: options.authUpstream },
    { prefix: '/.well-known', upstream: options.authUpstream },
    { prefix: '/users', upstream: options.usersUpstream },
    { prefix: '/admin/auth', upstream: options.authUpstream, admin: true },
    { prefix: '/admin/clients', upstream: options.authUpstream, admin: true },
    // Not /admin itself nor /admin/: those are the console's.
    { prefix: '/admin', upstream: options.usersUpstream, admin: true, routes: ['/*'] },
  ]
  for (const route of routes) {
    await app.register(proxy, {
      upstream: route.upstream,
      prefix: route.prefix,
      rewritePrefix: route.prefix,
      http: { requestOptions: { timeout: options.upstreamTimeoutMs ?? 30_000 } },
      replyOptions,
      ...(route.admin ? { preHandler: adminOnly } : {}),
      ...(route.routes ? { routes: route.routes } : {}),
    })
  }

  app.get('/', async (_request, reply) =>
    sendProblem(reply, 404, 'not_found', 'Nothing here: see /auth/docs and /users/docs.'),
  )
  return app
}
