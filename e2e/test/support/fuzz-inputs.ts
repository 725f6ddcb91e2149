/**
 * Inputs for one route, generated from its OpenAPI description. Three kinds, mixed:
 *
 * - valid: everything the route asks for, as its schemas allow it: a live bearer token where
 *   the route wants one, a JSON body drawn from the body schema, path and query parameters
 *   drawn from theirs, and, for properties that carry credentials or name existing things,
 *   REAL values (a user's email and password, live refresh tokens, reset and verification
 *   tokens, OAuth login codes, session and user ids), chosen by property name;
 * - mixed: per part and per property, a valid value, a near miss of the schema, or a hostile
 *   value; sometimes a smuggled extra key, an odd media type or a bad credential;
 * - hostile: the old generator's bodies, raw payloads, media types, query strings, path
 *   segments and authorization headers.
 *
 * Only names and schemas are read, so routes and properties added later are fuzzed as they are.
 */
import fc from 'fast-check'
import { type AuthChoice, type Purpose, type RealKind, real } from './fuzz-credentials.js'
import {
  hostileBody,
  hostileContentTypes,
  hostilePathValue,
  hostileQueryValue,
  hostileValue,
  rawBodies,
  smuggledKeys,
} from './hostile-values.js'
import {
  dereference,
  type FuzzRoute,
  type JsonSchema,
  type OpenApiDocument,
  propertyNamesOf,
} from './openapi-routes.js'
import { nearMiss, schemaValue } from './schema-values.js'

export type InputKind = 'valid' | 'mixed' | 'hostile'

export interface FuzzInput {
  kind: InputKind
  auth: AuthChoice
  path: Record<string, unknown>
  query: Record<string, unknown>
  /** A value to serialize in `contentType`'s format, or raw bytes; none for a bodiless route. */
  body: { value: unknown } | { raw: string | Buffer } | undefined
  contentType: string | undefined
}

/** Values this deployment really has for a property name (configured providers, redirects). */
export type KnownValues = Record<string, readonly string[]>

/** Share of each kind: half the inputs are meant to reach the handler. */
const WEIGHTS: Record<InputKind, number> = { valid: 5, mixed: 3, hostile: 2 }

export function inputsFor(
  doc: OpenApiDocument,
  route: FuzzRoute,
  known: KnownValues,
): fc.Arbitrary<FuzzInput> {
  const valid = (name: string, schema: JsonSchema, where: 'path' | 'query' | 'body') => {
    // An empty path segment is a different URL (`/auth/oauth//authorize`), not a parameter.
    const resolved = dereference(doc, schema)
    const fromSchema = schemaValue(
      doc,
      where === 'path' && resolved.type === 'string'
        ? { ...resolved, minLength: Math.max(1, Number(resolved.minLength ?? 0)) }
        : schema,
    )
    // Real values are strings: only where the schema takes one (not `email_verified: boolean`).
    const realValue = acceptsString(doc, schema)
      ? credentialValue(name, where, route, known)
      : undefined
    return realValue
      ? fc.oneof({ arbitrary: realValue, weight: 3 }, { arbitrary: fromSchema, weight: 1 })
      : fromSchema
  }
  const mixed = (name: string, schema: JsonSchema, where: 'path' | 'query' | 'body') =>
    fc.oneof(
      { arbitrary: valid(name, schema, where), weight: 2 },
      { arbitrary: nearMiss(doc, schema), weight: 1 },
      {
        arbitrary:
          where === 'path'
            ? hostilePathValue
            : where === 'query'
              ? hostileQueryValue
              : hostileValue,
        weight: 1,
      },
    )

  const params = (
    list: FuzzRoute['pathParams'],
    where: 'path' | 'query',
    value: typeof valid,
    allOptional = false,
  ) =>
    fc.record(Object.fromEntries(list.map((p) => [p.name, value(p.name, p.schema ?? {}, where)])), {
      requiredKeys: allOptional ? [] : list.filter((p) => p.required).map((p) => p.name),
    }) as fc.Arbitrary<Record<string, unknown>>

  const jsonTypes = (route.body?.mediaTypes ?? []).flatMap((type) =>
    type === 'application/json' ? [type, 'application/json; charset=utf-8'] : [type],
  )
  const validContentType = jsonTypes.length ? fc.constantFrom(...jsonTypes) : fc.constant(undefined)
  const bodySchema = route.body?.schema
  const bodyNames = bodySchema ? propertyNamesOf(doc, bodySchema) : []

  const validBody = bodySchema
    ? schemaValue(doc, bodySchema, (name, schema) => valid(name, schema, 'body')).map((value) => ({
        value,
      }))
    : fc.constant(undefined)
  const mixedBody = bodySchema
    ? fc
        .tuple(
          schemaValue(doc, bodySchema, (name, schema) => mixed(name, schema, 'body')),
          fc.option(fc.tuple(smuggledKeys, hostileValue), { freq: 4 }),
        )
        .map(([value, extra]) =>
          extra && value !== null && typeof value === 'object' && !Array.isArray(value)
            ? { value: { ...value, [extra[0]]: extra[1] } }
            : { value },
        )
    : fc.constant(undefined)
  const hostileBodies = bodySchema
    ? fc.oneof(
        hostileBody(bodyNames).map((value) => ({ value })),
        rawBodies.map((raw) => ({ raw })),
      )
    : fc.constant(undefined)

  const badAuth = hostileAuth(route)
  const queryNames = route.queryParams.map((p) => p.name)
  const hostileQuery = fc.dictionary(
    fc.oneof(
      fc.constantFrom(...queryNames, '__proto__', 'constructor', 'toString'),
      fc.string({ maxLength: 12 }),
    ),
    hostileQueryValue,
    { maxKeys: 4 },
  )

  const validInput = fc.record({
    kind: fc.constant<InputKind>('valid'),
    auth: route.bearer
      ? fc.constant<AuthChoice>('live')
      : fc.constantFrom<AuthChoice>('none', 'live'),
    path: params(route.pathParams, 'path', valid),
    query: params(route.queryParams, 'query', valid),
    body: validBody,
    contentType: validContentType,
  })
  const mixedInput = fc.record({
    kind: fc.constant<InputKind>('mixed'),
    auth: fc.oneof(fc.constant<AuthChoice>(route.bearer ? 'live' : 'none'), badAuth),
    path: params(route.pathParams, 'path', mixed),
    query: fc.oneof(params(route.queryParams, 'query', mixed, true), hostileQuery),
    body: mixedBody,
    contentType: route.body
      ? fc.oneof(
          { arbitrary: validContentType, weight: 3 },
          { arbitrary: hostileContentTypes, weight: 1 },
        )
      : fc.constant(undefined),
  })
  const hostileInput = fc.record({
    kind: fc.constant<InputKind>('hostile'),
    auth: fc.oneof(badAuth, fc.constant<AuthChoice>('live')),
    path: fc.record(
      Object.fromEntries(route.pathParams.map((p) => [p.name, hostilePathValue])),
    ) as fc.Arbitrary<Record<string, unknown>>,
    query: hostileQuery,
    body: hostileBodies,
    contentType: route.body ? hostileContentTypes : fc.constant(undefined),
  })
  return fc.oneof(
    { arbitrary: validInput, weight: WEIGHTS.valid },
    { arbitrary: mixedInput, weight: WEIGHTS.mixed },
    { arbitrary: hostileInput, weight: WEIGHTS.hostile },
  ) as fc.Arbitrary<FuzzInput>
}

function acceptsString(doc: OpenApiDocument, schema: JsonSchema): boolean {
  const s = dereference(doc, schema)
  const branches = [...((s.anyOf as JsonSchema[]) ?? []), ...((s.oneOf as JsonSchema[]) ?? [])]
  if (branches.length) return branches.some((b) => acceptsString(doc, b))
  if (Array.isArray(s.enum)) return false // an enum's values are the real ones
  return (
    s.type === undefined ||
    s.type === 'string' ||
    (Array.isArray(s.type) && s.type.includes('string'))
  )
}

/** Ways of presenting no valid credential, or the wrong one. */
function hostileAuth(route: FuzzRoute): fc.Arbitrary<AuthChoice> {
  return fc.oneof(
    fc.constantFrom<AuthChoice>(
      'none',
      'revoked',
      'tampered',
      ...(route.path.startsWith('/admin') ? (['other-role'] as const) : []),
      ...(route.bearer ? (['other-kind'] as const) : []),
    ),
    fc.string({ maxLength: 40 }).map((s): AuthChoice => ({ header: `Bearer ${s}` })),
    fc
      .constantFrom('Basic YWRtaW46YWRtaW4=', 'Bearer', 'Bearer  ', 'bearer x.y.z', 'Token abc')
      .map((header): AuthChoice => ({ header })),
  )
}

const pick = (...choices: [RealKind, number][]) =>
  fc.oneof(...choices.map(([kind, weight]) => ({ arbitrary: real(kind), weight })))

/**
 * Real values for properties that carry credentials or name existing things, by name (and,
 * for ids, by the collection the path names): undefined for anything else.
 */
function credentialValue(
  name: string,
  where: 'path' | 'query' | 'body',
  route: FuzzRoute,
  known: KnownValues,
): fc.Arbitrary<unknown> | undefined {
  const n = name.toLowerCase()
  const values = known[n]
  if (values?.length) return fc.constantFrom(...values)
  if (where === 'path' && (n === 'id' || n.endsWith('_id'))) {
    // The collection is the segment before the parameter: /auth/sessions/{id}, /admin/users/{id}.
    const segments = route.path.split('/')
    const collection = segments[segments.indexOf(`{${name}}`) - 1] ?? ''
    if (/session/.test(collection)) {
      return pick(
        ['session-id:new', 3],
        ['session-id:current', 1],
        ['session-id:other', 1],
        ['user-id:unknown', 1],
      )
    }
    if (/client/.test(collection)) return pick(['client-id:new', 4], ['user-id:unknown', 1])
    if (/passkey/.test(collection)) {
      return pick(['passkey-id:own', 4], ['passkey-id:other', 1], ['user-id:unknown', 1])
    }
    if (/user/.test(collection)) {
      return pick(['user-id:victim', 4], ['user-id:self', 1], ['user-id:unknown', 1])
    }
    return pick(['user-id:victim', 1], ['session-id:new', 1], ['user-id:unknown', 1])
  }
  if (n.includes('email')) {
    if (n.includes('prefix')) return real('email:subject-prefix')
    return pick(
      ['email:subject', 3],
      ['email:subject-spelled', 1],
      ['email:fresh', 2],
      ['email:victim', 1],
    )
  }
  if (n.includes('password')) return real('password')
  if (n.includes('refresh_token')) {
    return pick(['refresh:fresh', 3], ['refresh:subject', 1], ['refresh:spent', 1])
  }
  // A second factor's code (TOTP or recovery code) comes from its schema; its mfa_token is real.
  if (/\/mfa\//.test(route.path) && n === 'code') return undefined
  if (n === 'token' || n === 'code' || n.endsWith('_token') || n.endsWith('_code')) {
    const purpose: Purpose | undefined = /\/mfa\//.test(route.path)
      ? 'mfa_challenge'
      : /reset/.test(route.path)
        ? 'password_reset'
        : /verif/.test(route.path)
          ? 'email_verify'
          : /oauth|exchange/.test(route.path) || n === 'code'
            ? 'oauth_login'
            : undefined
    const issued = purpose
      ? real(`one-time:${purpose}`)
      : fc.oneof(
          real('one-time:password_reset'),
          real('one-time:email_verify'),
          real('one-time:oauth_login'),
          real('one-time:mfa_challenge'),
        )
    return fc.oneof(
      { arbitrary: issued, weight: 4 },
      { arbitrary: real('one-time:spent'), weight: 1 },
    )
  }
  if (n === 'cursor') return real('cursor')
  return undefined
}
