import { z } from 'zod'
import {
  ACCESS_TOKEN_EXAMPLE,
  IdSchema,
  NameSchema,
  OpaqueTokenSchema,
  REFRESH_TOKEN_EXAMPLE,
  TimestampSchema,
} from './primitives.js'

/** An OAuth scope token (RFC 6749 §3.3: %x21 / %x23-5B / %x5D-7E), e.g. `users:read`. */
export const ScopeTokenSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'must be an OAuth scope token (no spaces, quotes or \\)')
  .meta({ examples: ['users:read'] })
/** An audience a client's tokens may name (`aud`): an identifier or a URI, no whitespace. */
export const AudienceSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7E]+$/, 'must be printable ASCII without spaces')
  .meta({ examples: ['authpair-api'] })

/** A client of the client-credentials grant, as the admin API shows it (never its secret). */
export const ClientSchema = z
  .object({
    client_id: IdSchema,
    name: z.string(),
    scopes: z.array(z.string()),
    audiences: z.array(z.string()),
    disabled: z.boolean(),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
    last_used_at: TimestampSchema.nullable(),
  })
  .meta({ id: 'Client' })
export type Client = z.infer<typeof ClientSchema>

/** A client with its secret: only in the answer that made the secret (creation, rotation). */
export const ClientWithSecretSchema = ClientSchema.extend({
  client_secret: z.string().describe('shown once: only its hash is stored'),
}).meta({ id: 'ClientWithSecret' })
export type ClientWithSecret = z.infer<typeof ClientWithSecretSchema>

export const ClientSecretSchema = z
  .object({ client_secret: z.string().describe('shown once: only its hash is stored') })
  .meta({ id: 'ClientSecret' })
export type ClientSecret = z.infer<typeof ClientSecretSchema>

export const CreateClientBodySchema = z
  .strictObject({
    name: NameSchema,
    /** May be empty: such a client can only prove who it is. */
    scopes: z.array(ScopeTokenSchema).max(50).default([]),
    /** Empty: its tokens name the default audience (JWT_AUDIENCE). */
    audiences: z.array(AudienceSchema).max(20).default([]),
  })
  .meta({ id: 'CreateClientBody' })
export type CreateClientBody = z.infer<typeof CreateClientBodySchema>

export const PatchClientBodySchema = z
  .strictObject({
    name: NameSchema.optional(),
    scopes: z.array(ScopeTokenSchema).max(50).optional(),
    audiences: z.array(AudienceSchema).max(20).optional(),
    /** A disabled client's secret stops working at once. */
    disabled: z.boolean().optional(),
  })
  .meta({ id: 'PatchClientBody' })
export type PatchClientBody = z.infer<typeof PatchClientBodySchema>

export const ClientListQuerySchema = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
})
export const ClientListSchema = z
  .object({ items: z.array(ClientSchema), next_cursor: z.string().nullable() })
  .meta({ id: 'ClientList' })
export type ClientList = z.infer<typeof ClientListSchema>

export const ClientIdParamsSchema = z.strictObject({ id: IdSchema })

/**
 * POST /auth/token (RFC 6749 §3.2, form-encoded or JSON): the grant and its parameters. Client
 * credentials go in HTTP Basic (client_secret_basic) or here (client_secret_post).
 */
export const TokenRequestSchema = z
  .object({
    grant_type: z.string().min(1).max(100),
    refresh_token: OpaqueTokenSchema.optional(),
    scope: z.string().max(2000).optional(),
    audience: z.string().max(2000).optional(),
    /** RFC 8707: the resource the token is for; picks `aud` like `audience`. */
    resource: z.union([z.string().max(2000), z.array(z.string().max(2000)).max(10)]).optional(),
    client_id: z.string().max(200).optional(),
    client_secret: z.string().max(500).optional(),
  })
  .meta({ id: 'TokenRequest' })
export type TokenRequest = z.infer<typeof TokenRequestSchema>

/** RFC 6749 §5.1: a successful token response. */
export const OAuthTokenResponseSchema = z
  .object({
    access_token: z.string().meta({ examples: [ACCESS_TOKEN_EXAMPLE] }),
    token_type: z.literal('Bearer'),
    expires_in: z
      .number()
      .int()
      .positive()
      .meta({ description: 'seconds until the access token expires', examples: [900] }),
    refresh_token: z
      .string()
      .optional()
      .meta({ examples: [REFRESH_TOKEN_EXAMPLE] }),
    refresh_expires_in: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({ examples: [1_209_600] }),
    scope: z.string().optional().describe('the granted scopes, space-separated'),
  })
  .meta({ id: 'OAuthTokenResponse' })
export type OAuthTokenResponse = z.infer<typeof OAuthTokenResponseSchema>

/** RFC 7662 §2.1: a token introspection request, from an authenticated client. */
export const IntrospectionRequestSchema = z
  .object({
    token: z.string().min(1).max(8192),
    token_type_hint: z.string().max(100).optional(),
    client_id: z.string().max(200).optional(),
    client_secret: z.string().max(500).optional(),
  })
  .meta({ id: 'IntrospectionRequest' })
export type IntrospectionRequest = z.infer<typeof IntrospectionRequestSchema>

/**
 * RFC 7662 §2.2: `{active: false}` for anything not a live access token of ours (expired,
 * forged, its session ended, or a refresh token); the claims of one that is.
 */
export const IntrospectionResponseSchema = z
  .object({
    active: z.boolean(),
    token_type: z.literal('Bearer').optional(),
    scope: z.string().optional(),
    client_id: z.string().optional(),
    sub: z.string().optional(),
    iss: z.string().optional(),
    aud: z.union([z.string(), z.array(z.string())]).optional(),
    exp: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({ description: 'expiry, seconds since the epoch', examples: [1_773_480_713] }),
    iat: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({ description: 'issued at, seconds since the epoch', examples: [1_773_479_813] }),
    jti: z.string().optional(),
    /** A user's token: its session and role. */
    sid: z.string().optional(),
    role: z.string().optional(),
  })
  .meta({ id: 'IntrospectionResponse' })
export type IntrospectionResponse = z.infer<typeof IntrospectionResponseSchema>

/** RFC 6749 §5.2 (and RFC 8707 §2's invalid_target): the token endpoint's error codes. */
export const OAUTH_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
  'rate_limited',
  'temporarily_unavailable',
  'server_error',
] as const
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number]

/** RFC 6749 §5.2: the token endpoint's errors are this JSON, not problem+json. */
export const OAuthErrorSchema = z
  .object({
    error: z.enum(OAUTH_ERROR_CODES),
    error_description: z.string().optional(),
  })
  .meta({ id: 'OAuthError' })
export type OAuthError = z.infer<typeof OAuthErrorSchema>
