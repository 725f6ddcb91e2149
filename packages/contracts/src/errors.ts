import { z } from 'zod'

/**
 * Every `code` a client may see in a problem+json body. Clients branch on these, so they are
 * stable: add new ones, never rename or reuse one.
 */
export const ERROR_CODES = [
  // request shape
  'validation_failed',
  'invalid_json',
  'unsupported_media_type',
  'payload_too_large',
  'not_found',
  'method_not_allowed',
  // authentication and authorization
  'unauthorized',
  'invalid_token',
  'forbidden',
  // RFC 6750 §3.1: a valid token without a scope the route needs (403, with WWW-Authenticate)
  'insufficient_scope',
  'invalid_credentials',
  'email_not_verified',
  'account_disabled',
  'invalid_refresh_token',
  // cookie mode: refresh and logout by cookie from an origin outside CORS_ORIGINS, or without
  // the X-Requested-With: fetch header a cross-site form cannot send
  'origin_not_allowed',
  'recent_login_required',
  'last_admin',
  // second factor
  'mfa_required',
  'invalid_mfa_code',
  'mfa_enrollment_required',
  'mfa_already_enabled',
  'mfa_not_enabled',
  // passkeys: a WebAuthn response that does not verify (bad signature, origin, RP ID, flags,
  // an unknown credential, a used or expired challenge, a sign count going backwards)
  'invalid_passkey',
  // registration and passwords
  'email_taken',
  'password_rejected',
  // OAuth
  'unknown_provider',
  'invalid_redirect_uri',
  'last_sign_in_method',
  'invalid_request',
  'invalid_grant',
  // limits and availability
  'rate_limited',
  'service_unavailable',
  'bad_gateway',
  'gateway_timeout',
  'internal_error',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]
export const ErrorCodeSchema = z.enum(ERROR_CODES)

/** Prefix of a problem's `type` URI; the code follows it (RFC 9457 §3.1.1). */
export const PROBLEM_TYPE_PREFIX = 'urn:authpair:problem:'

export const ProblemFieldErrorSchema = z.object({
  path: z.string().describe('JSON pointer-ish dotted path of the offending field, "" for the body'),
  message: z.string(),
})
export type ProblemFieldError = z.infer<typeof ProblemFieldErrorSchema>

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/**
 * The media type a response body is sent with, for the bodies that are not application/json:
 * the OpenAPI documents declare each response under the type the server really sends
 * (service-kit's OpenAPI transform reads this). A schema made with `.extend()` is a new schema:
 * register it too.
 */
export const mediaTypes = z.registry<{ mediaType: string }>()

/** RFC 9457 problem details, as every error of both services is shaped. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string(),
    code: ErrorCodeSchema,
    request_id: z.string(),
    errors: z.array(ProblemFieldErrorSchema).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' })
  .register(mediaTypes, { mediaType: PROBLEM_CONTENT_TYPE })
export type Problem = z.infer<typeof ProblemSchema>
