import { z } from 'zod'
import { mediaTypes, PROBLEM_CONTENT_TYPE, ProblemSchema } from './errors.js'
import { OpaqueTokenSchema } from './primitives.js'

/** The second factors a sign-in may finish with (POST /auth/mfa/verify's `method`). */
export const MfaMethodSchema = z.enum(['totp', 'recovery_code']).meta({ id: 'MfaMethod' })
export type MfaMethod = z.infer<typeof MfaMethodSchema>

/** RFC 6238 as configured here: six digits. */
export const TotpCodeSchema = z
  .string()
  .regex(/^\d{6}$/, 'must be the 6-digit code')
  .meta({ examples: ['492039'] })

/**
 * A recovery code as typed: 24 base32 characters, with or without the hyphens and spaces it is
 * shown with, in any case. Bounded loosely so a mistyped code is a 401, not a schema error.
 */
export const RecoveryCodeSchema = z.string().min(1).max(64)

/**
 * 403 `mfa_required`: the first factor was right, and the account has a second factor. The
 * two extension members (RFC 9457 §3.2) say how to finish: `mfa_token` (opaque, single use,
 * 5 minutes, bound to the user and the first factor) and `methods`. Routes that can answer it
 * declare this schema for 403, so the members survive the response serializer and appear in
 * the OpenAPI document; other 403 problems (email_not_verified, account_disabled) fit it too.
 */
export const MfaRequiredProblemSchema = ProblemSchema.extend({
  mfa_token: z
    .string()
    .optional()
    .describe('With code mfa_required: send it to POST /auth/mfa/verify within 5 minutes'),
  methods: z
    .array(MfaMethodSchema)
    .optional()
    .describe('With code mfa_required: the second factors this account can use'),
})
  .meta({
    id: 'MfaRequiredProblem',
    description:
      'RFC 9457 problem details; with code mfa_required it also carries mfa_token and methods',
  })
  .register(mediaTypes, { mediaType: PROBLEM_CONTENT_TYPE })
export type MfaRequiredProblem = z.infer<typeof MfaRequiredProblemSchema>

export const MfaVerifyBodySchema = z
  .strictObject({
    mfa_token: OpaqueTokenSchema,
    method: MfaMethodSchema,
    code: z.string().min(1).max(64),
  })
  .meta({ id: 'MfaVerifyBody' })
export type MfaVerifyBody = z.infer<typeof MfaVerifyBodySchema>

export const MfaStatusSchema = z
  .object({
    totp: z.boolean().describe('a confirmed authenticator app'),
    passkeys: z
      .number()
      .int()
      .nonnegative()
      .meta({ description: 'passkeys registered', examples: [1] }),
    recovery_codes_left: z
      .number()
      .int()
      .nonnegative()
      .meta({ examples: [10] }),
  })
  .meta({ id: 'MfaStatus' })
export type MfaStatus = z.infer<typeof MfaStatusSchema>

export const TotpSetupSchema = z
  .object({
    secret: z.string().describe('base32, for typing into an authenticator app'),
    otpauth_uri: z.string().describe('otpauth://totp/… (what a QR code carries)'),
    qr_svg: z.string().describe('the otpauth_uri as a QR code, an SVG document'),
  })
  .meta({ id: 'TotpSetup' })
export type TotpSetup = z.infer<typeof TotpSetupSchema>

export const TotpConfirmBodySchema = z
  .strictObject({ code: TotpCodeSchema })
  .meta({ id: 'TotpConfirmBody' })
export type TotpConfirmBody = z.infer<typeof TotpConfirmBodySchema>

export const RecoveryCodesSchema = z
  .object({
    recovery_codes: z
      .array(z.string())
      .describe('ten single-use codes, shown this once; each replaces the authenticator once'),
  })
  .meta({ id: 'RecoveryCodes' })
export type RecoveryCodes = z.infer<typeof RecoveryCodesSchema>
