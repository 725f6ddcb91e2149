/**
 * Values no schema asks for: wrong in type, huge, deeply nested, unicode edge cases,
 * prototype-pollution keys, injection strings, bytes that are not UTF-8, odd media types.
 */
import fc from 'fast-check'

export const edgeStrings = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  '\uFEFF',
  '\uD800', // lone surrogate
  '𝕬𝖉𝖒𝖎𝖓',
  'a'.repeat(70_000),
  '../../etc/passwd',
  '%00',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  '{"$where":"1"}',
)

const leaf = fc.oneof(
  fc.string(),
  edgeStrings,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.bigInt().map(String),
)

/** Any JSON value, leaning hostile. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.string(), tie('v'), { maxKeys: 4 }),
  ),
})).v

/** Keys a body should never be able to smuggle in. */
export const smuggledKeys = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'role',
  'is_active',
  'email_verified',
  'id',
)

/** A body shaped like the route's schema (its property names) with hostile values and extras. */
export function hostileBody(properties: string[]): fc.Arbitrary<unknown> {
  const shaped = fc.record(Object.fromEntries(properties.map((p) => [p, hostileValue])), {
    requiredKeys: [],
  })
  return fc.oneof(
    shaped,
    fc.tuple(shaped, smuggledKeys, hostileValue).map(([body, key, v]) => ({ ...body, [key]: v })),
    hostileValue,
  )
}

/** Payloads that are not a JSON document, or are one built to hurt a parser. */
export const rawBodies: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.constant('{"__proto__":{"polluted":true}}'),
  fc.constant('{"constructor":{"prototype":{"polluted":true}}}'),
  fc.constant(`${'['.repeat(5000)}${']'.repeat(5000)}`),
  fc.constant('{"email": '),
  fc.constant(''),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from([0xff, 0xfe, ...bytes])), // not UTF-8
)

export const hostileContentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json\tx',
  ' application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
)

/** A query string value, or several (a repeated key). */
export const hostileQueryValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string(),
  edgeStrings,
  fc.array(fc.string({ maxLength: 8 }), { minLength: 2, maxLength: 3 }),
)

/** A path segment: anything, percent-encoded on the way out. */
export const hostilePathValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 40 }),
  edgeStrings,
)
