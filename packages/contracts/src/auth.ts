import { z } from 'zod'
import {
  ACCESS_TOKEN_EXAMPLE,
  EmailSchema,
  IdSchema,
  NameSchema,
  OpaqueTokenSchema,
  PasswordSchema,
  REFRESH_TOKEN_EXAMPLE,
  TimestampSchema,
} from './primitives.js'
import { ProfileSchema, ProviderIdSchema } from './users.js'

export const RegisterBodySchema = z
  .strictObject({ email: EmailSchema, password: PasswordSchema, name: NameSchema.optional() })
  .meta({ id: 'RegisterBody' })
export type RegisterBody = z.infer<typeof RegisterBodySchema>

export const RegisterResponseSchema = z
  .object({ user: ProfileSchema })
  .meta({ id: 'RegisterResponse' })
export type RegisterResponse = z.infer<typeof RegisterResponseSchema>

/**
 * Login takes any password up to the maximum length: the length rules apply when a password is
 * set, and a login must not reveal them (a short password is simply wrong).
 */
export const LoginBodySchema = z
  .strictObject({
    email: EmailSchema,
    password: z
      .string()
      .min(1)
      .max(PasswordSchema.maxLength ?? 256)
      .meta({ examples: ['correct horse battery staple'] }),
  })
  .meta({ id: 'LoginBody' })
export type LoginBody = z.infer<typeof LoginBodySchema>

/** OAuth 2.0 token response field names (RFC 6749 §5.1). */
/** A token pair as the auth-service issues it. */
export const IssuedTokenPairSchema = z.object({
  access_token: z.string().meta({
    description: 'a JWT (RFC 9068); send it as Authorization: Bearer',
    examples: [ACCESS_TOKEN_EXAMPLE],
  }),
  token_type: z.literal('Bearer'),
  expires_in: z
    .number()
    .int()
    .positive()
    .meta({ description: 'seconds until the access token expires', examples: [900] }),
  refresh_token: z.string().meta({ examples: [REFRESH_TOKEN_EXAMPLE] }),
  refresh_expires_in: z
    .number()
    .int()
    .positive()
    .meta({ description: 'seconds until the refresh token expires', examples: [1_209_600] }),
})
export type TokenPair = z.infer<typeof IssuedTokenPairSchema>

/** A token pair as a response carries it: in cookie mode, without the refresh token. */
export const TokenPairSchema = IssuedTokenPairSchema.extend({
  refresh_token: z
    .string()
    .optional()
    .meta({
      description: 'absent in cookie mode (?token_delivery=cookie): it is in an HttpOnly cookie',
      examples: [REFRESH_TOKEN_EXAMPLE],
    }),
}).meta({ id: 'TokenPair' })

/**
 * Where a route that returns a token pair puts the refresh token (DESIGN.md, Clients): in the
 * body (default), or in an HttpOnly cookie for browser apps, which then refresh and log out
 * with that cookie instead of a body.
 */
export const TokenDeliveryQuerySchema = z.object({
  token_delivery: z
    .enum(['body', 'cookie'])
    .optional()
    .describe('cookie: the refresh token goes in (or is read from) an HttpOnly cookie'),
})
export type TokenDeliveryQuery = z.infer<typeof TokenDeliveryQuerySchema>

export const RefreshBodySchema = z
  .strictObject({ refresh_token: OpaqueTokenSchema })
  .meta({ id: 'RefreshBody' })
export type RefreshBody = z.infer<typeof RefreshBodySchema>

export const LogoutBodySchema = RefreshBodySchema
export type LogoutBody = RefreshBody

export const SessionSchema = z
  .object({
    id: IdSchema,
    created_at: TimestampSchema,
    last_used_at: TimestampSchema,
    expires_at: TimestampSchema,
    user_agent: z.string().nullable(),
    ip: z.string().nullable(),
    current: z.boolean(),
  })
  .meta({ id: 'Session' })
export type Session = z.infer<typeof SessionSchema>

export const SessionListSchema = z
  .object({ items: z.array(SessionSchema) })
  .meta({ id: 'SessionList' })
export type SessionList = z.infer<typeof SessionListSchema>

export const SessionIdParamsSchema = z.strictObject({ id: IdSchema })

export const PasswordForgotBodySchema = z
  .strictObject({ email: EmailSchema })
  .meta({ id: 'PasswordForgotBody' })
export type PasswordForgotBody = z.infer<typeof PasswordForgotBodySchema>

/** The one body password/forgot ever answers with, whether or not the address exists. */
export const AcceptedSchema = z.object({ status: z.literal('accepted') }).meta({ id: 'Accepted' })
export type Accepted = z.infer<typeof AcceptedSchema>

export const PasswordResetBodySchema = z
  .strictObject({ token: OpaqueTokenSchema, password: PasswordSchema })
  .meta({ id: 'PasswordResetBody' })
export type PasswordResetBody = z.infer<typeof PasswordResetBodySchema>

export const PasswordChangeBodySchema = z
  .strictObject({ current_password: z.string().min(1).max(256), new_password: PasswordSchema })
  .meta({ id: 'PasswordChangeBody' })
export type PasswordChangeBody = z.infer<typeof PasswordChangeBodySchema>

export const EmailVerifyBodySchema = z
  .strictObject({ token: OpaqueTokenSchema })
  .meta({ id: 'EmailVerifyBody' })
export type EmailVerifyBody = z.infer<typeof EmailVerifyBodySchema>

export const OAuthProviderSchema = z.object({ id: ProviderIdSchema, name: z.string() })
export const OAuthProviderListSchema = z
  .array(OAuthProviderSchema)
  .meta({ id: 'OAuthProviderList' })
export type OAuthProviderList = z.infer<typeof OAuthProviderListSchema>

export const OAuthProviderParamsSchema = z.strictObject({ provider: z.string().max(40) })
/** RFC 7636 §4.2: BASE64URL(SHA-256(code_verifier)), 43 characters. */
const CodeChallengeSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'must be an S256 code challenge (43 base64url characters)')
  // RFC 7636 appendix B's pair.
  .meta({ examples: ['E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'] })
/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const CodeVerifierSchema = z
  .string()
  .regex(/^[A-Za-z0-9._~-]{43,128}$/, 'must be 43-128 characters of [A-Za-z0-9._~-]')
  .meta({ examples: ['dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'] })

export const OAuthAuthorizeQuerySchema = z.object({
  redirect_uri: z.string().min(1).max(2000),
  /** The client app's own state, echoed back unchanged on the redirect to it. */
  state: z
    .string()
    .max(512)
    .regex(/^[\x21-\x7e]*$/, 'must be printable ASCII without spaces')
    .optional(),
  /** PKCE between the client app and us: the challenge of the verifier sent at the exchange. */
  code_challenge: CodeChallengeSchema.optional(),
  /** Only S256 (plain would hand the verifier to whoever reads the URL). */
  code_challenge_method: z.literal('S256').optional(),
})
export const OAuthCallbackQuerySchema = z.object({
  code: z.string().max(2000).optional(),
  state: z.string().max(2000).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(2000).optional(),
})
export const OAuthExchangeBodySchema = z
  .strictObject({
    code: OpaqueTokenSchema,
    /** Required when the authorize request carried a code_challenge; refused otherwise. */
    code_verifier: CodeVerifierSchema.optional(),
  })
  .meta({ id: 'OAuthExchangeBody' })
export type OAuthExchangeBody = z.infer<typeof OAuthExchangeBodySchema>

export const IdentitySchema = z
  .object({
    provider: ProviderIdSchema,
    email: z.string().nullable(),
    created_at: TimestampSchema,
  })
  .meta({ id: 'Identity' })
export const IdentityListSchema = z
  .object({ items: z.array(IdentitySchema) })
  .meta({ id: 'IdentityList' })
export type IdentityList = z.infer<typeof IdentityListSchema>

/**
 * A public JWK as the JWKS serves it. Only public members are allowed: the schema is strict so
 * a private member (d, p, q, dp, dq, qi, k) can never be serialized by accident.
 */
export const PublicJwkSchema = z
  .strictObject({
    kty: z.enum(['RSA', 'EC', 'OKP']),
    kid: z.string(),
    use: z.literal('sig'),
    alg: z.enum(['RS256', 'ES256', 'EdDSA']),
    n: z.string().optional(),
    e: z.string().optional(),
    crv: z.string().optional(),
    x: z.string().optional(),
    y: z.string().optional(),
  })
  .meta({ id: 'PublicJwk' })
export type PublicJwk = z.infer<typeof PublicJwkSchema>

export const JwksSchema = z.object({ keys: z.array(PublicJwkSchema) }).meta({ id: 'Jwks' })
export type Jwks = z.infer<typeof JwksSchema>

/** Authorization server metadata (RFC 8414), the subset this server implements. */
export const OpenIdConfigurationSchema = z
  .object({
    issuer: z.string(),
    jwks_uri: z.string(),
    token_endpoint: z.string(),
    introspection_endpoint: z.string(),
    introspection_endpoint_auth_methods_supported: z.array(z.string()),
    revocation_endpoint: z.string(),
    grant_types_supported: z.array(z.string()),
    response_types_supported: z.array(z.string()),
    token_endpoint_auth_methods_supported: z.array(z.string()),
    id_token_signing_alg_values_supported: z.array(z.string()),
    access_token_signing_alg_values_supported: z.array(z.string()),
    code_challenge_methods_supported: z.array(z.string()),
  })
  .meta({ id: 'OpenIdConfiguration' })
export type OpenIdConfiguration = z.infer<typeof OpenIdConfigurationSchema>

export const SigningKeySchema = z
  .object({
    kid: z.string(),
    alg: z.string(),
    status: z.enum(['next', 'active', 'retired']),
    created_at: TimestampSchema,
    activates_at: TimestampSchema,
    retired_at: TimestampSchema.nullable(),
    published_until: TimestampSchema.nullable(),
  })
  .meta({ id: 'SigningKey' })
export type SigningKey = z.infer<typeof SigningKeySchema>
export const SigningKeyListSchema = z
  .object({ items: z.array(SigningKeySchema) })
  .meta({ id: 'SigningKeyList' })
export type SigningKeyList = z.infer<typeof SigningKeyListSchema>
