import { JwksSchema, OpenIdConfigurationSchema } from '@authpair/contracts'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { AuthConfig } from '../config.js'

/**
 * The JWKS and the issuer metadata (RFC 8414), each under /auth/.well-known/ and, for clients
 * that look where the RFCs say, under /.well-known/ (the gateway routes both here).
 */
const wellKnownRoutes: FastifyPluginAsyncZod<{ config: AuthConfig }> = async (
  fastify,
  { config },
) => {
  const cacheControl = `public, max-age=${config.JWKS_MAX_AGE_SECONDS}`

  // The body is serialized once per key-set change (KeyStore); each request only picks it up.
  const sendJwks = async (request: FastifyRequest, reply: FastifyReply) => {
    const { body, etag } = fastify.keys.jwks
    reply.header('cache-control', cacheControl).header('etag', etag)
    if (request.headers['if-none-match'] === etag) return reply.code(304).send()
    return reply.type('application/json; charset=utf-8').send(body)
  }

  const jwksSchema = {
    tags: ['keys'],
    summary: 'The public signing keys (JWKS); verifiers cache it for Cache-Control max-age',
    response: { 200: JwksSchema },
  }
  fastify.get('/auth/.well-known/jwks.json', { schema: jwksSchema }, sendJwks)
  fastify.get('/.well-known/jwks.json', { schema: { ...jwksSchema, hide: true } }, sendJwks)

  const metadata = {
    issuer: config.ISSUER,
    jwks_uri: `${config.ISSUER}/auth/.well-known/jwks.json`,
    token_endpoint: `${config.ISSUER}/auth/token`,
    introspection_endpoint: `${config.ISSUER}/auth/introspect`,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint: `${config.ISSUER}/auth/logout`,
    grant_types_supported: ['refresh_token', 'client_credentials'],
    response_types_supported: ['code'],
    // none: the refresh grant of public clients (apps); the others: registered clients.
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    id_token_signing_alg_values_supported: [config.JWT_ALG],
    access_token_signing_alg_values_supported: [config.JWT_ALG],
    code_challenge_methods_supported: ['S256'],
  }
  const metadataSchema = {
    tags: ['keys'],
    summary: 'Issuer metadata: issuer, jwks_uri, endpoints, algorithms',
    response: { 200: OpenIdConfigurationSchema },
  }
  const sendMetadata = async (_request: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', cacheControl)
    return metadata
  }
  fastify.get('/auth/.well-known/openid-configuration', { schema: metadataSchema }, sendMetadata)
  fastify.get(
    '/.well-known/openid-configuration',
    { schema: { ...metadataSchema, hide: true } },
    sendMetadata,
  )
}

export default wellKnownRoutes
