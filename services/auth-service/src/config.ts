/**
 * The auth-service's configuration: the only file that reads process.env. Every variable is in
 * .env.example with a comment; defaults live here, in the schema.
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
  loadEnvFileInDevelopment,
  optionalBooleanSchema,
  portSchema,
  rateLimitConfigShape,
  withDerivedDefaults,
} from '@authpair/service-kit'
import { z } from 'zod'
import { webauthnProblems } from './passkeys/relying-party.js'

const KEY_ENCRYPTION_KEY = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 random bytes, base64url-encoded (43 characters)')

export const AuthConfigSchema = z
  .object({
    ...baseConfigShape,
    PORT: portSchema(3001),
    /** postgres://… or a SQLite file path; unset: DATA_DIR/authpair.db. */
    DATABASE_URL: databaseUrlSchema,
    /** PostgreSQL pool size per process. */
    DB_POOL_MAX: dbPoolMaxSchema,
    /** Deadline of each PostgreSQL call, ms; past it the request is a 503 with Retry-After. */
    DB_QUERY_TIMEOUT_MS: dbQueryTimeoutMsSchema,
    /**
     * Everything the embedded default writes: the SQLite database (when DATABASE_URL is unset)
     * and the development key-encryption key (when KEY_ENCRYPTION_KEY is unset). Default ./data.
     */
    DATA_DIR: dataDirSchema,
    /** The development gateway's port; ISSUER's default follows it. Default 8080. */
    GATEWAY_PORT: portSchema(8080),
    /**
     * The issuer (`iss`) of every token and the public origin of the gateway: metadata lives at
     * `${ISSUER}/.well-known/openid-configuration`. Unset: http://localhost:<GATEWAY_PORT>
     * (withDerivedDefaults).
     */
    ISSUER: httpUrlSchema.default('http://localhost:8080'),
    /** The `aud` of access tokens; verifiers require it. */
    JWT_AUDIENCE: z.string().min(1).default('authpair-api'),
    /** Signature algorithm of new signing keys. */
    JWT_ALG: z.enum(['RS256', 'ES256', 'EdDSA']).default('RS256'),
    /** Access-token lifetime, seconds. */
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
    /**
     * The revocation feed (GET /revocations, this service's own port): how often a waiting
     * reader's request looks for news, ms. News reaches verifiers within about this much.
     */
    REVOCATION_FEED_POLL_MS: z.coerce.number().int().min(10).max(5000).default(100),
    /**
     * The longest a feed request is held open waiting for news (its `wait`, capped), seconds.
     * Keep it under the idle timeout of anything between the verifiers and this service.
     */
    REVOCATION_FEED_MAX_WAIT_SECONDS: z.coerce.number().int().min(0).max(60).default(25),
    /** Cache-Control max-age of the JWKS, seconds: how long verifiers may keep it. */
    JWKS_MAX_AGE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
    /**
     * AES-256-GCM key that encrypts signing keys at rest (32 bytes, base64url). Required in
     * production; development generates one under DATA_DIR.
     */
    KEY_ENCRYPTION_KEY: KEY_ENCRYPTION_KEY.optional(),
    /**
     * How long a rotated-in key is published before it signs, seconds. Default (unset):
     * JWKS_MAX_AGE_SECONDS + KEYS_REFRESH_INTERVAL_MS + 60 s, which no cached JWKS outlives.
     * Shorten it only when every verifier refetches on an unknown kid.
     */
    KEY_ROTATION_LEAD_SECONDS: z.coerce.number().int().min(0).max(86_400).optional(),
    /** How often each replica re-reads the signing keys (picks up another replica's rotation), ms. */
    KEYS_REFRESH_INTERVAL_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),

    /** Refresh tokens die after this many seconds unused (idle lifetime). */
    REFRESH_TOKEN_IDLE_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .default(14 * 86_400),
    /** No refresh extends a session past this many seconds after sign-in (absolute lifetime). */
    SESSION_ABSOLUTE_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .default(30 * 86_400),
    /**
     * A rotated refresh token presented again within this many seconds is taken as a client
     * retrying a refresh whose response it lost (it gets a working pair); later, as theft (the
     * session is revoked). 0 disables retries.
     */
    REFRESH_REUSE_LEEWAY_SECONDS: z.coerce.number().int().min(0).max(60).default(5),

    /** argon2id parameters (the users-service's too). */
    ...argon2ConfigShape,

    /** SMTP server for outgoing mail (smtp://user:pass@host:587, smtps://… for TLS). Required in production; unset in development writes mail to the log. */
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
      .optional(),
    /** The From header of every mail. */
    MAIL_FROM: z.string().min(3).default('authpair <no-reply@localhost>'),
    /** The product name mails speak of. */
    PRODUCT_NAME: z.string().min(1).max(80).default('authpair'),
    /** The client application's origin: links in mails point here, never at the request's Host. */
    APP_URL: httpUrlSchema.default('http://localhost:3000'),
    /** Path of the client's reset page; the link is APP_URL + this + ?token=… */
    PASSWORD_RESET_PATH: z.string().startsWith('/').default('/reset-password'),
    /** Path of the client's verification page; the link is APP_URL + this + ?token=… */
    EMAIL_VERIFY_PATH: z.string().startsWith('/').default('/verify-email'),
    /** How long a reset link works, seconds (OWASP: short). */
    PASSWORD_RESET_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
    /** How long a verification link works, seconds. */
    EMAIL_VERIFY_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .max(30 * 86_400)
      .default(2 * 86_400),
    /** Run the outbox sender in this process. */
    OUTBOX_WORKER_ENABLED: booleanSchema(true),
    /** How often the outbox is polled, ms. */
    OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
    /** First retry of a failed mail after this many ms; it doubles per attempt. */
    OUTBOX_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(2000),
    /**
     * Retries are never further apart than this, ms; a mail is retried until it is sent or
     * OUTBOX_RETENTION_DAYS have passed.
     */
    OUTBOX_RETRY_MAX_MS: z.coerce.number().int().min(100).max(86_400_000).default(600_000),
    /**
     * Days an outbox row is kept, default 7: a sent mail (its body is dropped at sending) this
     * long after it was sent; a mail that could not be sent this long after it was queued, when
     * it is abandoned (deleted, logged at error level, counted in auth_mail_abandoned_total).
     * Bounds how long recipient addresses stay in the database, also after an account is deleted.
     */
    OUTBOX_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
    /** Password-reset requests per client address per hour. */
    RATE_LIMIT_FORGOT_PER_IP: z.coerce.number().int().min(1).default(20),
    /**
     * Password-reset requests per email address from one client address per hour: a stranger
     * spends this, not the owner's own allowance.
     */
    RATE_LIMIT_FORGOT_PER_EMAIL_IP: z.coerce.number().int().min(1).default(3),
    /** Password-reset requests per email address from all addresses per hour (mailbox flood). */
    RATE_LIMIT_FORGOT_PER_EMAIL: z.coerce.number().int().min(1).default(10),
    /** Verification mails a signed-in user may ask for per hour. */
    RATE_LIMIT_VERIFY_RESEND_PER_USER: z.coerce.number().int().min(1).default(3),

    /**
     * Where /auth/oauth/:provider/authorize may send the browser back: exact URLs, comma
     * separated. Anything else is a 400 before any provider is contacted.
     */
    OAUTH_REDIRECT_URIS: listSchema('').pipe(
      z.array(z.url({ protocol: /^https?$/, message: 'must list absolute http(s) URLs' })),
    ),
    /**
     * Refuse /auth/oauth/:provider/authorize without the client app's PKCE code_challenge
     * (S256), so every login code needs the app's code_verifier. Default: true in production.
     */
    OAUTH_REQUIRE_APP_PKCE: optionalBooleanSchema(),
    /** A login code (what the callback hands the client) works once, for this many seconds. */
    OAUTH_LOGIN_CODE_TTL_SECONDS: z.coerce.number().int().min(10).max(600).default(60),
    /** Google (OpenID Connect): enabled by client id and secret; endpoints overridable. */
    GOOGLE_CLIENT_ID: z.string().min(1).optional(),
    GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
    GOOGLE_ISSUER: z.string().min(1).default('https://accounts.google.com'),
    GOOGLE_AUTHORIZE_URL: httpUrlSchema.default('https://accounts.google.com/o/oauth2/v2/auth'),
    GOOGLE_TOKEN_URL: httpUrlSchema.default('https://oauth2.googleapis.com/token'),
    GOOGLE_JWKS_URL: httpUrlSchema.default('https://www.googleapis.com/oauth2/v3/certs'),
    /** Yandex ID: enabled by client id and secret; endpoints overridable. */
    YANDEX_CLIENT_ID: z.string().min(1).optional(),
    YANDEX_CLIENT_SECRET: z.string().min(1).optional(),
    YANDEX_AUTHORIZE_URL: httpUrlSchema.default('https://oauth.yandex.ru/authorize'),
    YANDEX_TOKEN_URL: httpUrlSchema.default('https://oauth.yandex.ru/token'),
    YANDEX_USERINFO_URL: httpUrlSchema.default('https://login.yandex.ru/info'),
    /** GitHub: enabled by client id and secret; endpoints overridable. */
    GITHUB_CLIENT_ID: z.string().min(1).optional(),
    GITHUB_CLIENT_SECRET: z.string().min(1).optional(),
    GITHUB_AUTHORIZE_URL: httpUrlSchema.default('https://github.com/login/oauth/authorize'),
    GITHUB_TOKEN_URL: httpUrlSchema.default('https://github.com/login/oauth/access_token'),
    GITHUB_API_URL: httpUrlSchema.default('https://api.github.com'),

    /** Login refuses unverified accounts with 403 email_not_verified. */
    REQUIRE_EMAIL_VERIFICATION: booleanSchema(false),
    /**
     * Roles that must use a second factor on the admin API, comma separated (default admin):
     * such an account gets 403 mfa_enrollment_required on /admin/* until it has one, and 403
     * mfa_required for a token issued without it. `none`: nobody is required to. The
     * users-service reads the same variable for its /admin/ routes.
     */
    MFA_REQUIRED_ROLES: listSchema('admin')
      .transform((roles) => (roles.length === 1 && roles[0] === 'none' ? [] : roles))
      .pipe(z.array(RoleSchema, { message: 'must list roles (user, admin), or be none' })),
    /**
     * Changing a second factor (setup, confirm, removal, new recovery codes) needs a sign-in at
     * most this many seconds old, else 401 recent_login_required.
     */
    RECENT_LOGIN_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
    /**
     * The WebAuthn relying party id passkeys are bound to: a host name (no scheme, no port).
     * Default: the host of ISSUER. Must be the host of each WEBAUTHN_ORIGINS entry or a
     * registrable suffix of it (checked at start-up); changing it orphans every passkey.
     */
    WEBAUTHN_RP_ID: z
      .string()
      .regex(/^[a-z0-9.-]+$/i, 'must be a host name (no scheme, port or path)')
      .optional(),
    /** The relying party's name, as the browser's passkey prompt shows it. Default PRODUCT_NAME. */
    WEBAUTHN_RP_NAME: z.string().min(1).max(64).optional(),
    /**
     * Origins (scheme://host[:port]) a passkey ceremony may come from, comma separated: the
     * pages that call navigator.credentials. Default: the origin of ISSUER.
     */
    WEBAUTHN_ORIGINS: listSchema('').transform((list) => list.filter(Boolean)),

    ...rateLimitConfigShape,
    /** Logins per client address per minute, whatever the account. */
    RATE_LIMIT_LOGIN_PER_IP: z.coerce.number().int().min(1).default(30),
    /**
     * Failed sign-ins per account from one client address per 15 minutes: the first lock, which
     * stops a guesser without locking the owner, who signs in from another address.
     */
    RATE_LIMIT_LOGIN_PER_ACCOUNT_IP: z.coerce.number().int().min(1).default(5),
    /**
     * Failed sign-ins per account from all addresses per 15 minutes: the lock against guessing
     * spread over many addresses. The owner is mailed when it starts, and a password reset
     * (whose link proves the mailbox) lifts it.
     */
    RATE_LIMIT_LOGIN_PER_ACCOUNT: z.coerce.number().int().min(1).default(20),
    /** Tokens a client may get from the client-credentials grant per minute. */
    RATE_LIMIT_TOKEN_PER_CLIENT: z.coerce.number().int().min(1).default(600),
    /** Failed client authentications per client address per 15 minutes (token endpoint). */
    RATE_LIMIT_CLIENT_AUTH_FAILURES_PER_IP: z.coerce.number().int().min(1).default(20),
    /** Registrations per client address per hour. */
    RATE_LIMIT_REGISTER_PER_IP: z.coerce.number().int().min(1).default(20),
    /** Refreshes per client address per minute. */
    RATE_LIMIT_REFRESH_PER_IP: z.coerce.number().int().min(1).default(120),
  })
  .superRefine((config, ctx) => {
    if (config.SESSION_ABSOLUTE_TTL_SECONDS < config.REFRESH_TOKEN_IDLE_TTL_SECONDS) {
      ctx.addIssue({
        code: 'custom',
        path: ['SESSION_ABSOLUTE_TTL_SECONDS'],
        message: 'must not be shorter than REFRESH_TOKEN_IDLE_TTL_SECONDS',
      })
    }
    for (const provider of ['GOOGLE', 'YANDEX', 'GITHUB'] as const) {
      const id = config[`${provider}_CLIENT_ID`]
      const secret = config[`${provider}_CLIENT_SECRET`]
      if (Boolean(id) !== Boolean(secret)) {
        ctx.addIssue({
          code: 'custom',
          path: [`${provider}_${id ? 'CLIENT_SECRET' : 'CLIENT_ID'}`],
          message: `is required with ${provider}_${id ? 'CLIENT_ID' : 'CLIENT_SECRET'}`,
        })
      }
    }
    if (config.NODE_ENV === 'production' && !config.SMTP_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['SMTP_URL'],
        message: 'is required in production (mail would otherwise only reach the log)',
      })
    }
    for (const problem of webauthnProblems(config)) ctx.addIssue({ code: 'custom', ...problem })
    if (config.NODE_ENV === 'production' && !config.KEY_ENCRYPTION_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['KEY_ENCRYPTION_KEY'],
        message: 'is required in production (32 random bytes, base64url)',
      })
    }
  })

export type AuthConfig = z.output<typeof AuthConfigSchema>

export function loadAuthConfig(env: Record<string, string | undefined> = process.env): AuthConfig {
  return loadConfig(AuthConfigSchema, withDerivedDefaults(env))
}

/**
 * `pnpm manage`'s `.env` (service-kit's loadEnvFileInDevelopment): here because this file is
 * the one that reads process.env. The service itself never calls it.
 */
export function loadDevelopmentEnvFile(): void {
  loadEnvFileInDevelopment(process.env.NODE_ENV)
}
