import { z } from 'zod'
import {
  EmailSchema,
  IdSchema,
  LocaleSchema,
  NameSchema,
  PasswordSchema,
  RoleSchema,
  TimestampSchema,
} from './primitives.js'

export const ProviderIdSchema = z.enum(['google', 'yandex', 'github'])
export type ProviderId = z.infer<typeof ProviderIdSchema>

/** A user's profile, as `/users/me` and the admin API return it. */
export const ProfileSchema = z
  .object({
    id: IdSchema,
    /**
     * Null for an account a provider made without vouching for the address (Yandex) until a
     * verification link proves it: an unproven address never claims a mailbox.
     */
    email: z
      .string()
      .meta({ examples: ['ada@example.com'] })
      .nullable(),
    email_verified: z.boolean(),
    name: z
      .string()
      .meta({ examples: ['Ada Lovelace'] })
      .nullable(),
    locale: z
      .string()
      .meta({ examples: ['en-GB'] })
      .nullable(),
    role: RoleSchema,
    created_at: TimestampSchema,
    providers: z.array(ProviderIdSchema),
    /** A second factor is on (a confirmed authenticator app). */
    mfa_enabled: z.boolean(),
  })
  .meta({ id: 'Profile' })
export type Profile = z.infer<typeof ProfileSchema>

/** PATCH /users/me: name and locale only; any other field is a 400 (role, email, is_active…). */
export const UpdateMeBodySchema = z
  .strictObject({
    name: NameSchema.nullable().optional(),
    locale: LocaleSchema.nullable().optional(),
  })
  .meta({ id: 'UpdateMeBody' })
export type UpdateMeBody = z.infer<typeof UpdateMeBodySchema>

/** DELETE /users/me: the password, for accounts that have one. */
export const DeleteMeBodySchema = z.strictObject({ password: z.string().max(1024).optional() })
export type DeleteMeBody = z.infer<typeof DeleteMeBodySchema>

export const AdminUserSchema = ProfileSchema.extend({
  is_active: z.boolean(),
  updated_at: TimestampSchema,
  last_login_at: TimestampSchema.nullable().describe(
    'the last completed sign-in; an imported account keeps Django’s last_login until its first here',
  ),
}).meta({ id: 'AdminUser' })
export type AdminUser = z.infer<typeof AdminUserSchema>

const booleanQuery = z.enum(['true', 'false']).transform((value) => value === 'true')

export const AdminUserListQuerySchema = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  email_prefix: z.string().trim().toLowerCase().min(1).max(254).optional(),
  role: RoleSchema.optional(),
  active: booleanQuery.optional(),
})
export type AdminUserListQuery = z.infer<typeof AdminUserListQuerySchema>

export const AdminUserListSchema = z
  .object({
    items: z.array(AdminUserSchema),
    next_cursor: z.string().nullable(),
  })
  .meta({ id: 'AdminUserList' })
export type AdminUserList = z.infer<typeof AdminUserListSchema>

export const AdminCreateUserBodySchema = z.strictObject({
  email: EmailSchema,
  password: PasswordSchema.optional(),
  name: NameSchema.optional(),
  role: RoleSchema.default('user'),
  email_verified: z.boolean().default(false),
})
export type AdminCreateUserBody = z.infer<typeof AdminCreateUserBodySchema>

export const AdminPatchUserBodySchema = z.strictObject({
  role: RoleSchema.optional(),
  is_active: z.boolean().optional(),
  name: NameSchema.nullable().optional(),
  email_verified: z.boolean().optional(),
})
export type AdminPatchUserBody = z.infer<typeof AdminPatchUserBodySchema>

export const UserIdParamsSchema = z.strictObject({ id: IdSchema })
