/**
 * The routes an OpenAPI 3.1 document describes, in the shape the fuzz test drives them: path and
 * query parameters with their JSON schemas, the request body's schema and media types, and
 * whether the route asks for a bearer token. Everything comes from the document, so a route or
 * parameter another developer adds is fuzzed without editing the test.
 */

/** A JSON Schema as the document spells it (draft 2020-12, as zod's toJSONSchema emits it). */
export type JsonSchema = { [keyword: string]: unknown }

export interface OpenApiParameter {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema?: JsonSchema
}

interface OpenApiOperation {
  parameters?: OpenApiParameter[]
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> }
  security?: Record<string, string[]>[]
  responses?: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>
  components?: {
    schemas?: Record<string, JsonSchema>
    securitySchemes?: Record<string, { type?: string; flows?: Record<string, unknown> }>
  }
}

export interface FuzzRoute {
  /** `POST /auth/login`: how the report names it. */
  key: string
  method: string
  /** The document's spelling: `/auth/sessions/{id}`. */
  path: string
  /** Fastify's spelling, `/auth/sessions/:id`: the key handler calls are counted under. */
  fastifyPath: string
  pathParams: OpenApiParameter[]
  queryParams: OpenApiParameter[]
  body: { required: boolean; mediaTypes: string[]; schema: JsonSchema } | undefined
  /** The operation lists a bearer-token security requirement (a user's or a client's). */
  bearer: boolean
  /**
   * How its 4xx answers are shaped: problem+json with a `code`, or (the OAuth token endpoint,
   * which documents RFC 6749 §5.2's OAuthError) JSON with an `error`.
   */
  errors: 'problem' | 'oauth'
  /**
   * The scopes of an OAuth 2 client-credentials requirement: the route wants a client token
   * with them, not a user's. Undefined for every other route.
   */
  clientScopes: string[] | undefined
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options'])

export function routesOf(doc: OpenApiDocument): FuzzRoute[] {
  const schemes = doc.components?.securitySchemes ?? {}
  const isClientCredentials = (name: string) =>
    schemes[name]?.type === 'oauth2' && schemes[name]?.flows?.clientCredentials !== undefined
  const routes: FuzzRoute[] = []
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      if (!METHODS.has(method)) continue // path-level `parameters`, `summary`, …
      const parameters = op.parameters ?? []
      const content = op.requestBody?.content ?? {}
      const mediaTypes = Object.keys(content)
      const first = mediaTypes[0]
      const schema = first ? content[first]?.schema : undefined
      routes.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        fastifyPath: path.replace(/\{([^}]+)\}/g, ':$1'),
        pathParams: parameters.filter((p) => p.in === 'path'),
        queryParams: parameters.filter((p) => p.in === 'query'),
        body: schema
          ? { required: op.requestBody?.required ?? false, mediaTypes, schema }
          : undefined,
        bearer: (op.security ?? []).some((requirement) =>
          Object.keys(requirement).some(
            (name) => /bearer/i.test(name) || isClientCredentials(name),
          ),
        ),
        errors: Object.values(op.responses?.['400']?.content ?? {}).some(
          (media) => media.schema?.$ref === '#/components/schemas/OAuthError',
        )
          ? 'oauth'
          : 'problem',
        clientScopes: (op.security ?? [])
          .flatMap((requirement) => Object.entries(requirement))
          .find(([name]) => isClientCredentials(name))?.[1],
      })
    }
  }
  return routes
}

/** Follows a local `$ref` (`#/components/schemas/X`); any other schema is returned as is. */
export function dereference(doc: OpenApiDocument, schema: JsonSchema): JsonSchema {
  let current = schema
  for (let hops = 0; typeof current.$ref === 'string' && hops < 16; hops++) {
    const name = current.$ref.split('/').pop() ?? ''
    const target = doc.components?.schemas?.[name]
    if (!target) throw new Error(`unresolvable $ref ${current.$ref}`)
    current = target
  }
  return current
}

/** The names of an object schema's properties (through $ref and anyOf/oneOf branches). */
export function propertyNamesOf(doc: OpenApiDocument, schema: JsonSchema): string[] {
  const resolved = dereference(doc, schema)
  const names = new Set(Object.keys((resolved.properties as object | undefined) ?? {}))
  for (const keyword of ['anyOf', 'oneOf', 'allOf']) {
    for (const branch of (resolved[keyword] as JsonSchema[] | undefined) ?? []) {
      for (const name of propertyNamesOf(doc, branch)) names.add(name)
    }
  }
  return [...names]
}
