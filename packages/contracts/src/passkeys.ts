import { z } from 'zod'
import { EmailSchema, IdSchema } from './primitives.js'

/**
 * Passkeys (WebAuthn Level 3; design.md, "Passkeys"). Options and responses are the standard
 * JSON forms (PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON, …) that
 * browser helpers pass to and from navigator.credentials; they are checked here only for
 * shape and size, and by the WebAuthn library for everything else.
 */

/** base64url, bounded: a credential's parts are a few hundred bytes, attestation a few KB. */
const b64url = (max: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, 'must be base64url')
    .max(max)

const clientExtensionResults = z.record(z.string(), z.unknown())
/** WebAuthn's AuthenticatorTransport values, with `cable` and `smart-card` (Level 3). */
const TransportSchema = z.enum(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])
const AttachmentSchema = z.enum(['platform', 'cross-platform'])

export const RegistrationResponseJsonSchema = z
  .object({
    id: b64url(1366).min(1),
    rawId: b64url(1366).min(1),
    type: z.literal('public-key'),
    response: z.looseObject({
      clientDataJSON: b64url(8192).min(1),
      attestationObject: b64url(65536).min(1),
      transports: z.array(TransportSchema).max(16).optional(),
    }),
    authenticatorAttachment: AttachmentSchema.optional(),
    clientExtensionResults: clientExtensionResults.default({}),
  })
  .meta({ id: 'RegistrationResponseJSON', description: 'WebAuthn RegistrationResponseJSON' })

export const AuthenticationResponseJsonSchema = z
  .object({
    id: b64url(1366).min(1),
    rawId: b64url(1366).min(1),
    type: z.literal('public-key'),
    response: z.looseObject({
      clientDataJSON: b64url(8192).min(1),
      authenticatorData: b64url(8192).min(1),
      signature: b64url(2048).min(1),
      userHandle: b64url(128).optional(),
    }),
    authenticatorAttachment: AttachmentSchema.optional(),
    clientExtensionResults: clientExtensionResults.default({}),
  })
  .meta({ id: 'AuthenticationResponseJSON', description: 'WebAuthn AuthenticationResponseJSON' })

/** A passkey's name as the user sees it in their list. */
export const PasskeyNameSchema = z.string().trim().min(1).max(64)

export const PasskeyCreationOptionsSchema = z
  .looseObject({
    challenge: z.string(),
    rp: z.looseObject({ id: z.string().optional(), name: z.string() }),
    user: z.looseObject({ id: z.string(), name: z.string(), displayName: z.string() }),
    pubKeyCredParams: z.array(z.looseObject({ type: z.string(), alg: z.number() })),
  })
  .meta({
    id: 'PasskeyCreationOptions',
    description: 'PublicKeyCredentialCreationOptionsJSON: pass to navigator.credentials.create',
  })

export type PasskeyCreationOptions = z.infer<typeof PasskeyCreationOptionsSchema>

export const PasskeyRequestOptionsSchema = z
  .looseObject({
    challenge: z.string(),
    rpId: z.string().optional(),
    allowCredentials: z
      .array(z.looseObject({ id: z.string(), type: z.string() }))
      .optional()
      .describe('empty for a usernameless sign-in'),
    userVerification: z.string().optional(),
  })
  .meta({
    id: 'PasskeyRequestOptions',
    description: 'PublicKeyCredentialRequestOptionsJSON: pass to navigator.credentials.get',
  })

export type PasskeyRequestOptions = z.infer<typeof PasskeyRequestOptionsSchema>

export const PasskeyRegisterVerifyBodySchema = z
  .strictObject({
    response: RegistrationResponseJsonSchema,
    name: PasskeyNameSchema.optional().describe('default: "Passkey" and the date'),
  })
  .meta({ id: 'PasskeyRegisterVerifyBody' })
export type PasskeyRegisterVerifyBody = z.infer<typeof PasskeyRegisterVerifyBodySchema>

/** A passkey's id in a path: `/auth/passkeys/{id}`. */
export const PasskeyIdParamsSchema = z.strictObject({ id: IdSchema })

export const PasskeyRenameBodySchema = z
  .strictObject({ name: PasskeyNameSchema })
  .meta({ id: 'PasskeyRenameBody' })

export const PasskeyLoginOptionsBodySchema = z
  .strictObject({
    email: EmailSchema.optional().describe(
      'omit for a usernameless sign-in; an unknown address gets an answer of the same shape',
    ),
  })
  .meta({ id: 'PasskeyLoginOptionsBody' })

export const PasskeyLoginVerifyBodySchema = z
  .strictObject({ response: AuthenticationResponseJsonSchema })
  .meta({ id: 'PasskeyLoginVerifyBody' })

export const PasskeySchema = z
  .object({
    id: IdSchema,
    name: z.string(),
    created_at: z.string().describe('ISO 8601'),
    last_used_at: z.string().nullable().describe('ISO 8601; null until first used to sign in'),
    transports: z.array(z.string()),
    backup_eligible: z.boolean().describe('a synced (multi-device) passkey'),
    backed_up: z.boolean(),
  })
  .meta({ id: 'Passkey' })
export type Passkey = z.infer<typeof PasskeySchema>

export const PasskeyCreatedSchema = z
  .object({ passkey: PasskeySchema })
  .meta({ id: 'PasskeyCreated' })

export const PasskeyListSchema = z
  .object({ items: z.array(PasskeySchema) })
  .meta({ id: 'PasskeyList' })
export type PasskeyList = z.infer<typeof PasskeyListSchema>
