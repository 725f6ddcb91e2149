import cors from '@fastify/cors'
import fp from 'fastify-plugin'

export interface CorsPolicyOptions {
  /** Exact origins (CORS_ORIGINS) allowed to call with credentials; empty: no CORS at all. */
  origins: readonly string[]
}

/** Headers a browser app may send: the bearer token, JSON bodies, cookie mode's CSRF header. */
const ALLOWED_HEADERS = ['authorization', 'content-type', 'x-requested-with', 'x-request-id']

/**
 * CORS for the public API (DESIGN.md, Clients): only the configured origins are answered, with
 * credentials allowed (cookie mode); any other origin gets no Access-Control-* headers, so the
 * browser withholds the response. With no origins the plugin is not registered: a preflight is
 * then an ordinary unknown route and a cross-origin read is refused by the browser.
 */
export const corsPolicy = fp<CorsPolicyOptions>(
  async (fastify, options) => {
    if (options.origins.length === 0) return
    const allowed = new Set(options.origins)
    await fastify.register(cors, {
      origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
      credentials: true,
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: ['retry-after', 'x-request-id', 'www-authenticate'],
      maxAge: 600,
      // Preflights end here with 204 and are never seen by route handlers or rate limits.
      strictPreflight: true,
    })
  },
  { name: 'cors-policy', fastify: '5.x' },
)
