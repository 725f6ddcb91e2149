/**
 * fast-check arbitraries from JSON Schema (as the OpenAPI documents carry it): values the
 * schema accepts (types, formats, patterns, enums, lengths and bounds, with their edges), and
 * near misses that break exactly one rule (one character too long, one past the maximum, an
 * enum value's neighbour, the right value in the wrong type).
 */
import fc from 'fast-check'
import { hostileValue } from './hostile-values.js'
import { dereference, type JsonSchema, type OpenApiDocument } from './openapi-routes.js'

/** Lets the caller put real values (credentials, ids) in place of a property's schema values. */
export type PropertyOverride = (
  name: string,
  schema: JsonSchema,
) => fc.Arbitrary<unknown> | undefined

const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined)

/** Strings longer than this are generated only at the exact maxLength (a boundary value). */
const FREE_LENGTH = 48
const MAX_DEPTH = 6

export function schemaValue(
  doc: OpenApiDocument,
  schema: JsonSchema,
  override?: PropertyOverride,
  depth = 0,
): fc.Arbitrary<unknown> {
  const s = dereference(doc, schema)
  if (depth > MAX_DEPTH) return fc.constant(null)
  if ('const' in s) return fc.constant(s.const)
  if (Array.isArray(s.enum) && s.enum.length > 0) return fc.constantFrom(...s.enum)
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    const branches = s[keyword] as JsonSchema[] | undefined
    if (branches?.length) {
      return fc.oneof(...branches.map((b) => schemaValue(doc, b, override, depth + 1)))
    }
  }
  if (Array.isArray(s.allOf) && s.allOf.length > 0) {
    const merged = Object.assign({}, ...s.allOf.map((b) => dereference(doc, b as JsonSchema)))
    return schemaValue(doc, merged, override, depth + 1)
  }
  if (Array.isArray(s.type)) {
    return fc.oneof(...s.type.map((type) => schemaValue(doc, { ...s, type }, override, depth + 1)))
  }
  switch (s.type) {
    case 'string':
      return stringValue(s)
    case 'integer':
    case 'number':
      return numberValue(s)
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array': {
      const min = num(s.minItems) ?? 0
      const items = s.items ? schemaValue(doc, s.items as JsonSchema, override, depth + 1) : leafy
      return fc.array(items, { minLength: min, maxLength: Math.min(num(s.maxItems) ?? 4, min + 4) })
    }
    case 'object':
      return objectValue(doc, s, override, depth)
    default:
      return hostileValue // no type: the schema accepts anything
  }
}

const leafy = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean())

function objectValue(
  doc: OpenApiDocument,
  s: JsonSchema,
  override: PropertyOverride | undefined,
  depth: number,
): fc.Arbitrary<unknown> {
  const properties = (s.properties ?? {}) as Record<string, JsonSchema>
  const required = (s.required as string[] | undefined) ?? []
  const shape = Object.fromEntries(
    Object.entries(properties).map(([name, propertySchema]) => [
      name,
      (depth === 0 ? override?.(name, propertySchema) : undefined) ??
        schemaValue(doc, propertySchema, override, depth + 1),
    ]),
  )
  const record = fc.record(shape, { requiredKeys: required.filter((name) => name in shape) })
  if (Object.keys(properties).length === 0 && s.additionalProperties !== false) {
    return fc.dictionary(fc.string({ maxLength: 8 }), leafy, { maxKeys: 3 })
  }
  return record
}

function stringValue(s: JsonSchema): fc.Arbitrary<string> {
  const minLength = num(s.minLength) ?? 0
  const maxLength = num(s.maxLength)
  const fits = (value: string) =>
    value.length >= minLength && (maxLength === undefined || value.length <= maxLength)
  const format = typeof s.format === 'string' ? s.format : undefined
  const dates = fc.date({
    min: new Date('2000-01-01'),
    max: new Date('2100-01-01'),
    noInvalidDate: true,
  })
  let base: fc.Arbitrary<string>
  if (format === 'uuid') base = fc.uuid({ version: [4, 7] })
  else if (format === 'date-time') base = dates.map((d) => d.toISOString())
  else if (format === 'date') base = dates.map((d) => d.toISOString().slice(0, 10))
  else if (format === 'uri' || format === 'url') base = fc.webUrl()
  else if (typeof s.pattern === 'string')
    base = fc.stringMatching(new RegExp(s.pattern), { size: 'xsmall' })
  else if (format === 'email') base = fc.emailAddress()
  else {
    const cap = Math.min(maxLength ?? Number.POSITIVE_INFINITY, minLength + FREE_LENGTH)
    const free = fc.oneof(
      fc.string({ minLength, maxLength: cap }),
      fc.string({ unit: 'grapheme', minLength, maxLength: cap }).filter(fits),
    )
    // The exact bounds are strings a schema allows that a lazy generator never makes.
    const edges = [minLength, ...(maxLength !== undefined && maxLength > cap ? [maxLength] : [])]
    return fc.oneof(
      { arbitrary: free, weight: 4 },
      {
        arbitrary: fc.constantFrom(...edges.filter((n) => n <= 100_000).map((n) => 'x'.repeat(n))),
        weight: 1,
      },
    )
  }
  return base.filter(fits)
}

function numberValue(s: JsonSchema): fc.Arbitrary<number> {
  const integer = s.type === 'integer'
  let min = num(s.minimum) ?? -(2 ** 31)
  let max = num(s.maximum) ?? 2 ** 31
  if (num(s.exclusiveMinimum) !== undefined) min = (num(s.exclusiveMinimum) ?? 0) + 1
  if (num(s.exclusiveMaximum) !== undefined) max = (num(s.exclusiveMaximum) ?? 0) - 1
  min = Math.max(min, Number.MIN_SAFE_INTEGER)
  max = Math.min(max, Number.MAX_SAFE_INTEGER)
  return integer
    ? fc.integer({ min, max })
    : fc.double({ min, max, noNaN: true, noDefaultInfinity: true })
}

/** Values that break one rule of the schema; anything hostile when it has no rule to break. */
export function nearMiss(doc: OpenApiDocument, schema: JsonSchema): fc.Arbitrary<unknown> {
  const s = dereference(doc, schema)
  const misses: unknown[] = []
  const type = Array.isArray(s.type) ? s.type[0] : s.type
  if (Array.isArray(s.enum)) {
    for (const value of s.enum.slice(0, 3)) {
      if (typeof value === 'string') misses.push(value.toUpperCase(), `${value} `, `${value}x`)
      else misses.push(String(value))
    }
  }
  if (type === 'string') {
    const min = num(s.minLength)
    const max = num(s.maxLength)
    if (min !== undefined && min > 0) misses.push('x'.repeat(min - 1))
    if (max !== undefined && max < 100_000) misses.push('x'.repeat(max + 1))
    if (typeof s.pattern === 'string' || s.format) misses.push('not valid!', ' ', '\u0000')
    misses.push(1, true, ['x'], { x: 1 })
  }
  if (type === 'integer' || type === 'number') {
    const min = num(s.minimum)
    const max = num(s.maximum)
    if (min !== undefined) misses.push(min - 1)
    if (max !== undefined) misses.push(max + 1)
    if (type === 'integer') misses.push(1.5)
    misses.push('1', '1e400', null, -0)
  }
  if (type === 'boolean') misses.push('true', 1, 0, 'yes', null)
  if (type === 'object') misses.push([], 'x', null)
  if (type === 'array') misses.push({}, 'x', null)
  return misses.length
    ? fc.oneof(
        { arbitrary: fc.constantFrom(...misses), weight: 3 },
        { arbitrary: hostileValue, weight: 1 },
      )
    : hostileValue
}
