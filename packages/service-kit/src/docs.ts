import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'

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
}

/**
 * OpenAPI 3.1 from the routes' zod schemas (packages/contracts), so the document and the
 * validation can never disagree.
 */
export const docs = fp<DocsOptions>(
  async (fastify, options) => {
    await fastify.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: options.title, description: options.description, version: options.version },
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
            // The token endpoint's client_secret_basic (RFC 6749 §2.3.1).
            clientBasic: { type: 'http', scheme: 'basic' },
            ...options.securitySchemes,
          },
        },
      },
      transform: createJsonSchemaTransform({ skipList: [`${options.routePrefix}/*`] }),
      transformObject: jsonSchemaTransformObject,
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
