import { STATUS_CODES } from 'node:http'
import { mediaTypes, ProblemSchema } from '@authpair/contracts'
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger'
import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'
import { globalRegistry, type z } from 'zod'

type Transform = NonNullable<FastifyDynamicSwaggerOptions['transform']>
type TransformObject = NonNullable<FastifyDynamicSwaggerOptions['transformObject']>
type JsonObject = Record<string, unknown>

/**
 * The operationId of a route that does not declare one: the method and every URL segment in
 * camelCase, a path parameter as `By` + its name. `GET /auth/sessions/:id` is
 * `getAuthSessionsById`, `POST /auth/token/refresh` is `postAuthTokenRefresh`. Method and URL
 * identify a route, so the ids are unique, and a new route gets one without anyone choosing it
 * (CONTRIBUTING.md, "OpenAPI").
 */
export function operationIdOf(method: string, url: string): string {
  const words = [method.toLowerCase()]
  for (const segment of url.split('/')) {
    const param = /^[:{]([^}]+)\}?$/.exec(segment)
    if (param?.[1]) words.push('by', ...wordsOf(param[1]))
    else words.push(...wordsOf(segment))
  }
  return words
    .filter((word) => word !== '')
    .map((word, index) => (index === 0 ? word : word[0]?.toUpperCase() + word.slice(1)))
    .join('')
}

function wordsOf(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
}

/** `Bad Request`, `No Content`, …: the reason phrase (RFC 9110 §15) of a status code. */
function reasonOf(status: string): string {
  return STATUS_CODES[Number(status)] ?? (status === 'default' ? 'Any other status' : status)
}

/**
 * Headers some statuses always carry here: Retry-After on every 429 (the rate limits set it,
 * RFC 9110 §10.2.3) and Location on a redirect.
 */
function headersOf(status: string): JsonObject | undefined {
  if (status === '429') {
    return {
      'retry-after': {
        type: 'integer',
        minimum: 0,
        description: 'seconds until a retry may succeed',
        examples: [30],
      },
    }
  }
  if (['301', '302', '303', '307', '308'].includes(status)) {
    return { location: { type: 'string', description: 'where the client is sent' } }
  }
  return undefined
}

function isZodSchema(value: unknown): value is z.ZodType {
  return typeof value === 'object' && value !== null && '_zod' in value
}

function hasContent(value: unknown): value is { description?: string; content: JsonObject } {
  return typeof value === 'object' && value !== null && 'content' in value
}

/**
 * One response as the document gives it: a description per status (its reason phrase, and
 * the body schema's own description, e.g. Problem's), and the body under the media type it is
 * really sent with, which the contracts say (`mediaTypes`: problem+json for problem details,
 * application/json otherwise).
 */
function describeResponse(status: string, zodSchema: unknown, json: unknown): unknown {
  const headers = headersOf(status)
  const withHeaders = headers ? { headers } : {}
  if (hasContent(json)) {
    return { ...withHeaders, ...json, description: json.description ?? reasonOf(status) }
  }
  const mediaType = (isZodSchema(zodSchema) && mediaTypes.get(zodSchema)?.mediaType) || undefined
  const about = isZodSchema(zodSchema) ? globalRegistry.get(zodSchema)?.description : undefined
  const description = `${reasonOf(status)}${about ? `: ${about}` : ''}`
  if (typeof json === 'object' && json !== null && (json as JsonObject).type === 'null') {
    // No body (204, a redirect): @fastify/swagger then writes the description alone.
    return { type: 'null', description, ...withHeaders }
  }
  return {
    description,
    ...withHeaders,
    content: { [mediaType ?? 'application/json']: { schema: json } },
  }
}

/**
 * The per-route step of the OpenAPI generator: fastify-type-provider-zod turns the zod schemas
 * into JSON Schema, then every documented route gets
 *
 * - an `operationId` ({@link operationIdOf}) unless it declares one;
 * - `security: []` unless it declares its own: a route that declares none needs no credential,
 *   and says so (an absent `security` would mean "whatever the document's default is");
 * - per-status response descriptions, the media type each body is sent with, and the headers
 *   a status always carries (Retry-After, Location);
 * - a 400 problem response when it takes input (body, query or path parameters) and declares
 *   no 400 itself: the validator answers `validation_failed` for any such route.
 *
 * Nothing here changes what a route does; it only describes it.
 */
export function createOpenApiTransform(options: { skipList: readonly string[] }): Transform {
  const zodTransform = createJsonSchemaTransform({ skipList: options.skipList })
  return (input) => {
    const result = zodTransform(input) as { schema?: JsonObject & { hide?: boolean }; url: string }
    if (result.schema?.hide) return result as ReturnType<Transform>
    // A route without any schema is documented too (it gets an id and `security` all the same).
    const schema = result.schema ?? {}
    const declared = (input.schema ?? {}) as JsonObject
    const zodResponses = (declared.response ?? {}) as Record<string, unknown>
    const responses: Record<string, unknown> = {}
    for (const [status, json] of Object.entries((schema.response ?? {}) as JsonObject)) {
      responses[status] = describeResponse(status, zodResponses[status], json)
    }
    const takesInput = ['body', 'querystring', 'params'].some((part) => declared[part])
    if (takesInput && !('400' in responses)) {
      responses['400'] = describeResponse('400', ProblemSchema, {
        $ref: '#/components/schemas/Problem',
      })
    }
    const method = input.route.method
    return {
      url: result.url,
      schema: {
        ...schema,
        operationId:
          schema.operationId ??
          operationIdOf(Array.isArray(method) ? method.join('') : method, input.url),
        security: schema.security ?? [],
        response: responses,
      },
    } as ReturnType<Transform>
  }
}

/** Every `$ref` to a component schema inside `value`, by component name. */
function collectRefs(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectRefs(item, into)
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string') {
        const name = /^#\/components\/schemas\/(.+)$/.exec(child)?.[1]
        if (name) into.add(decodeURIComponent(name))
      } else collectRefs(child, into)
    }
  }
}

/**
 * The whole-document step: the component schemas are every schema registered with an `id` in
 * zod's global registry, which holds the contracts of both services (and the input twin,
 * `…Input`, of each). A service's document keeps only those its own operations reach,
 * directly or through other components. It also refuses (throws) two operations with one
 * operationId, which a route declaring its own could cause.
 */
export const openApiTransformObject: TransformObject = (input) => {
  const document = jsonSchemaTransformObject(input) as JsonObject & {
    paths?: Record<string, Record<string, { operationId?: string }>>
    components?: { schemas?: Record<string, unknown> }
  }
  const schemas = document.components?.schemas ?? {}
  const reached = new Set<string>()
  collectRefs(document.paths, reached)
  const pending = [...reached]
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    const found = new Set<string>()
    collectRefs(schemas[name], found)
    for (const next of found) {
      if (!reached.has(next)) {
        reached.add(next)
        pending.push(next)
      }
    }
  }
  const kept = Object.fromEntries(
    Object.keys(schemas)
      .filter((name) => reached.has(name))
      .sort()
      .map((name) => [name, schemas[name]]),
  )
  const seen = new Map<string, string>()
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      const id = operation.operationId
      if (id === undefined) continue
      const where = `${method.toUpperCase()} ${path}`
      const other = seen.get(id)
      if (other) throw new Error(`operationId ${id} is used by both ${other} and ${where}`)
      seen.set(id, where)
    }
  }
  return { ...document, components: { ...document.components, schemas: kept } }
}
