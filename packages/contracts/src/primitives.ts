import { z } from 'zod'

/** RFC 5321 caps a forward path at 256 octets including the brackets, so 254 for the address. */
export const EMAIL_MAX_LENGTH = 254

/**
 * NIST SP 800-63B §3.1.1.2: at least 8 characters, no composition rules, and a maximum that
 * stops hashing-cost abuse while allowing long passphrases (the guideline asks for >= 64).
 */
export const PASSWORD_MIN_LENGTH = 8
export const PASSWORD_MAX_LENGTH = 256

/**
 * An email address as the services store and compare it: trimmed and lower-cased, so one
 * mailbox is one account whatever case it is typed in.
 */
export const EmailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(EMAIL_MAX_LENGTH)
  .check(z.email({ message: 'must be an email address' }))
  // Examples are what Swagger UI fills a request in with and what clients read first: without
  // one it invents a value from `pattern` or from the integer bounds (-9007199254740991).
  .meta({ examples: ['ada@example.com'] })

export const PasswordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`)
  .meta({ examples: ['correct horse battery staple'] })

/** Display name: free text, trimmed, bounded. */
export const NameSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .meta({ examples: ['Ada Lovelace'] })

/** BCP 47 language tag, e.g. `en`, `ru`, `en-GB`. */
export const LocaleSchema = z
  .string()
  .regex(
    /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/,
    'must be a BCP 47 language tag such as "en" or "ru"',
  )
  .max(35)
  .meta({ examples: ['en-GB'] })

/** Ids are UUIDs (version 7, so they sort by creation time). */
export const IdSchema = z.uuid().meta({ examples: ['019a5f3c-7d2e-7b41-9c3a-2f6d8e1b4a57'] })

export const RoleSchema = z.enum(['user', 'admin'])
export type Role = z.infer<typeof RoleSchema>

/** The examples the OpenAPI documents show: an access token is a JWT (RFC 9068). */
export const ACCESS_TOKEN_EXAMPLE =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6IjIwMjYtMDMifQ.eyJzdWIiOiIwMTlhNWYzYyJ9.c2lnbmF0dXJl'
/** A refresh token is 32 random bytes, base64url. */
export const REFRESH_TOKEN_EXAMPLE = 'pV3xq8T0m2cYl7uJw9Rk4bNf1sHd6aEg5oZi0QyXt3U'

/**
 * An opaque token a client hands back (refresh, reset, verification, login code). Ours are 43
 * characters; the bound is loose on purpose so that a wrong token of any plausible size (an
 * access token sent as a refresh token, say) gets the route's own "not a valid token" answer
 * rather than a schema error, while a body can still not make us hash megabytes.
 */
export const OpaqueTokenSchema = z
  .string()
  .min(1)
  .max(8192)
  .meta({ examples: [REFRESH_TOKEN_EXAMPLE] })

export const TimestampSchema = z.iso
  .datetime({ offset: true })
  .meta({ description: 'RFC 3339 timestamp', examples: ['2026-03-14T09:26:53.589Z'] })
