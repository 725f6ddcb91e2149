import type { FastifySerializerCompiler } from 'fastify'
import { InvalidSchemaError, ResponseSerializationError } from 'fastify-type-provider-zod'
import { $ZodType, safeParse } from 'zod/v4/core'

function resolveSchema(schema: unknown): $ZodType {
  if (schema instanceof $ZodType) return schema
  const properties = (schema as { properties?: unknown } | null)?.properties
  if (properties instanceof $ZodType) return properties
  throw new InvalidSchemaError(JSON.stringify(schema))
}

/**
 * The response serializer of both services: the payload is checked against the route's zod
 * response schema (unknown keys are dropped, a payload that does not match is a 500 that never
 * reaches the client), then stringified.
 *
 * fastify-type-provider-zod's own serializer runs zod's encode direction (for codecs, which our
 * contracts do not use: a response schema with a codec or a transform must not be added without
 * changing this). Under load, zod 4's encode path keeps each response's intermediate objects
 * alive long enough for V8 to promote them: the users-service's old generation filled with
 * ~7 MB/s of garbage under `me` (peak RSS 164 MB). The forward parse promotes nothing and costs
 * less: 38.6 -> 32.2 µs of CPU per `me` request on one core.
 */
export const responseSerializerCompiler: FastifySerializerCompiler<unknown> = ({
  schema,
  method,
  url,
}) => {
  const zodSchema = resolveSchema(schema)
  return (data: unknown) => {
    const result = safeParse(zodSchema, data)
    if (!result.success) throw new ResponseSerializationError(method, url, { cause: result.error })
    return JSON.stringify(result.data)
  }
}
