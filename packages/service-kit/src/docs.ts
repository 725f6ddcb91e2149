import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { createOpenApiTransform, openApiTransformObject } from './openapi-transform.js'

export interface DocsOptions {
  title: string
  description: string
  version: string
  /** Where Swagger UI lives, e.g. `/auth/docs`; the OpenAPI JSON is at `${prefix}/json`. */
  routePrefix: string
  /** Serve the UI and JSON. The document is still built (tests read it) when false. */
  exposed: boolean
  /**
   * Security schemes beside `bearerAuth` (every service's user tokens), for routes that take
   * another kind of credential, e.g. an OAuth 2 client-credentials token with scopes.
   */
  securitySchemes?: Record<string, Record<string, unknown>>
  /**
   * Where clients reach the operations: the gateway's public origin (ISSUER). The paths are
   * the gateway's (`/auth/...`, `/users/...`); a route served elsewhere (the auth-service's
   * own-port /revocations) declares its own `servers`.
   */
  servers: { url: string; description: string }[]
}

/**
 * OpenAPI 3.1 from the routes' zod schemas (packages/contracts), so the document and the
 * validation can never disagree. `scripts/openapi.mjs` lints both services' documents with
 * Redocly (redocly.yaml) and type-checks a client generated from them.
 */
export const docs = fp<DocsOptions>(
  async (fastify, options) => {
    await fastify.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: options.title, description: options.description, version: options.version },
        servers: options.servers,
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
            ...options.securitySchemes,
          },
        },
      },
      // operationIds, `security`, response descriptions and media types, only this service's
      // schemas: see openapi-transform.ts.
      transform: createOpenApiTransform({ skipList: [`${options.routePrefix}/*`] }),
      transformObject: openApiTransformObject,
    })
    if (options.exposed) {
      await fastify.register(swaggerUi, {
        routePrefix: options.routePrefix,
        uiConfig: { deepLinking: true },
        staticCSP: true,
      })
    }
  },
  { name: 'docs', fastify: '5.x' },
)
