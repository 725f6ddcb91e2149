import { z } from 'zod'
import { PasskeySchema } from './passkeys.js'
import { IdSchema, TimestampSchema } from './primitives.js'

/**
 * GET /admin/auth/users/:id: what the auth-service holds about one account that the
 * users-service's /admin/users/:id does not (the admin console's "one user" page shows both).
 */

/** A live session as an admin sees it (never its refresh tokens). */
export const AdminSessionSchema = z
  .object({
    id: IdSchema,
    created_at: TimestampSchema,
    last_used_at: TimestampSchema.describe('the last refresh (or the sign-in)'),
    expires_at: TimestampSchema.describe('the absolute expiry: no refresh extends it'),
    ip: z.string().nullable().describe('where the sign-in came from'),
    user_agent: z.string().nullable(),
    amr: z
      .array(z.string())
      .describe('RFC 8176 methods of the sign-in (pwd, otp, mfa, hwk, swk, fed); [] if unknown'),
  })
  .meta({ id: 'AdminSession' })
export type AdminSession = z.infer<typeof AdminSessionSchema>

/** A linked provider account. */
export const AdminIdentitySchema = z
  .object({
    provider: z.string().describe('google, github, yandex'),
    provider_user_id: z.string().describe('the account’s id (subject) at the provider'),
    email: z.string().nullable().describe('the address the provider gave, when it gave one'),
    created_at: TimestampSchema.describe('when it was linked'),
  })
  .meta({ id: 'AdminIdentity' })
export type AdminIdentity = z.infer<typeof AdminIdentitySchema>

export const AdminAuthUserSchema = z
  .object({
    user_id: IdSchema,
    sessions: z.array(AdminSessionSchema).describe('live sessions only, newest first'),
    identities: z.array(AdminIdentitySchema).describe('oldest first'),
    second_factor: z.object({
      totp: z.boolean().describe('a confirmed authenticator app'),
      recovery_codes_left: z.number().int(),
    }),
    passkeys: z.array(PasskeySchema),
  })
  .meta({ id: 'AdminAuthUser' })
export type AdminAuthUser = z.infer<typeof AdminAuthUserSchema>

export const AdminUserSessionParamsSchema = z.strictObject({ id: IdSchema, sessionId: IdSchema })
export const AdminUserPasskeyParamsSchema = z.strictObject({ id: IdSchema, passkeyId: IdSchema })
