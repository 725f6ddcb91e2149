/**
 * The users-service's configuration: the only file that reads process.env. Every variable is
 * in .env.example with a comment; defaults live here, in the schema.
 */
import { RoleSchema } from '@authpair/contracts'
import {
  databaseUrlSchema,
  dataDirSchema,
  dbPoolMaxSchema,
  dbQueryTimeoutMsSchema,
} from '@authpair/db'
import { argon2ConfigShape } from '@authpair/passwords'
import {
  baseConfigShape,
  booleanSchema,
  httpUrlSchema,
  listSchema,
  loadConfig,
  portSchema,
  rateLimitConfigShape,
  withDerivedDefaults,
} from '@authpair/service-kit'
import { z } from 'zod'

export const UsersConfigSchema = z.object({
  ...baseConfigShape,
  ...rateLimitConfigShape,
  PORT: portSchema(3002),
  /** postgres://… or a SQLite file path; unset: DATA_DIR/authpair.db. */
  DATABASE_URL: databaseUrlSchema,
  /** Where the embedded default lives (the auth-service's DATA_DIR). Default ./data. */
  DATA_DIR: dataDirSchema,
  /** The development gateway's port; ISSUER's default follows it. Default 8080. */
  GATEWAY_PORT: portSchema(8080),
  DB_POOL_MAX: dbPoolMaxSchema,
  /** Deadline of each PostgreSQL call, ms; past it the request is a 503 with Retry-After. */
  DB_QUERY_TIMEOUT_MS: dbQueryTimeoutMsSchema,
  /**
   * Where the auth-service publishes its keys. Configured, never derived from a token: direct to
   * the auth-service on the internal network (the gateway does not need to be up).
   */
  JWKS_URL: httpUrlSchema.default('http://127.0.0.1:3001/auth/.well-known/jwks.json'),
  /**
   * The `iss` tokens must carry: the auth-service's ISSUER. Unset, like the auth-service's:
   * http://localhost:<GATEWAY_PORT>.
   */
  ISSUER: httpUrlSchema.default('http://localhost:8080'),
  /** The `aud` tokens must carry: the auth-service's JWT_AUDIENCE. */
  JWT_AUDIENCE: z.string().min(1).default('authpair-api'),
  /** Accepted signature algorithms; must include the auth-service's JWT_ALG. */
  JWT_ALGORITHMS: listSchema('RS256').pipe(
    z
      .array(z.enum(['RS256', 'ES256', 'EdDSA'], { message: 'must list RS256, ES256 or EdDSA' }))
      .min(1),
  ),
  /** An unknown kid refetches the JWKS at most once per this many milliseconds. */
  JWKS_UNKNOWN_KID_COOLDOWN_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /** Clock skew tolerated on exp, nbf and iat, seconds. */
  JWT_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
  /**
   * The longest lifetime (exp − iat) a token may claim, seconds: a token minted to live longer
   * is refused. Must be at least the auth-service's ACCESS_TOKEN_TTL_SECONDS, whose default
   * (900) and bounds (60..86400) it shares.
   */
  JWT_MAX_LIFETIME_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  /**
   * Follow the auth-service's revocation feed (jwt-verify's `revocation` option), so a token of
   * an ended session (logout, password change, admin action) is refused within a fraction of a
   * second, not at expiry: the same mechanism any internal service uses, with no read of the
   * sessions table.
   */
  REVOCATION_CHECK: booleanSchema(true),
  /** The feed. Unset: /revocations at JWKS_URL's origin (the auth-service's own port). */
  REVOCATION_FEED_URL: httpUrlSchema.optional(),
  /**
   * Seconds the feed may stay unreachable before every token is refused with 503 (fail
   * closed). Unset: keep verifying on the last known state, and report the staleness
   * (/metrics users_revocation_feed_stale_seconds).
   */
  REVOCATION_FAIL_CLOSED_AFTER_SECONDS: z.coerce.number().int().min(1).max(86_400).optional(),
  /**
   * Profiles GET /users/me keeps in memory (0: none, every request reads the database). An entry
   * is forgotten when the user change feed says its rows changed (PostgreSQL LISTEN/NOTIFY,
   * SQLite's `user_changes` table), and after PROFILE_CACHE_TTL_SECONDS in any case.
   */
  PROFILE_CACHE_MAX: z.coerce.number().int().min(0).max(10_000_000).default(10_000),
  /** The longest a kept profile is served without a fresh read, seconds. */
  PROFILE_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  /** DELETE /users/me without the password needs a sign-in at most this many seconds old. */
  RECENT_LOGIN_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /**
   * Roles that must use a second factor on the admin API (the auth-service reads the same
   * variable): 403 mfa_enrollment_required until the account has one, 403 mfa_required for a
   * token issued without it. Comma separated; `none`: nobody is required to.
   */
  MFA_REQUIRED_ROLES: listSchema('admin')
    .transform((roles) => (roles.length === 1 && roles[0] === 'none' ? [] : roles))
    .pipe(z.array(RoleSchema, { message: 'must list roles (user, admin), or be none' })),
  /** argon2id parameters for passwords set through the admin API (the auth-service's too). */
  ...argon2ConfigShape,
})

export type UsersConfig = z.output<typeof UsersConfigSchema>

export function loadUsersConfig(
  env: Record<string, string | undefined> = process.env,
): UsersConfig {
  return loadConfig(UsersConfigSchema, withDerivedDefaults(env))
}
