/**
 * The auth-service's configuration: the only file that reads process.env. Every variable is in
 * .env.example with a comment; defaults live here, in the schema.
 */
import { databaseUrlSchema, dbPoolMaxSchema } from '@authpair/db'
import { baseConfigShape, httpUrlSchema, loadConfig, portSchema } from '@authpair/service-kit'
import { z } from 'zod'

const KEY_ENCRYPTION_KEY = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 random bytes, base64url-encoded (43 characters)')

export const AuthConfigSchema = z
  .object({
    ...baseConfigShape,
    PORT: portSchema(3001),
    /** postgres://… or a SQLite file path; unset: SQLite under ./data/. */
    DATABASE_URL: databaseUrlSchema,
    /** PostgreSQL pool size per process. */
    DB_POOL_MAX: dbPoolMaxSchema,
    /** Where development keeps generated secrets (the key-encryption key). */
    DATA_DIR: z.string().default('./data'),
    /**
     * The issuer (`iss`) of every token and the public origin of the gateway: metadata lives at
     * `${ISSUER}/.well-known/openid-configuration`.
     */
    ISSUER: httpUrlSchema.default('http://localhost:8080'),
    /** The `aud` of access tokens; verifiers require it. */
    JWT_AUDIENCE: z.string().min(1).default('authpair-api'),
    /** Signature algorithm of new signing keys. */
    JWT_ALG: z.enum(['RS256', 'ES256', 'EdDSA']).default('RS256'),
    /** Access-token lifetime, seconds. */
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
    /** Cache-Control max-age of the JWKS, seconds: how long verifiers may keep it. */
    JWKS_MAX_AGE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
    /**
     * AES-256-GCM key that encrypts signing keys at rest (32 bytes, base64url). Required in
     * production; development generates one under DATA_DIR.
     */
    KEY_ENCRYPTION_KEY: KEY_ENCRYPTION_KEY.optional(),
    /** How often each replica re-reads the signing keys (picks up another replica's rotation), ms. */
    KEYS_REFRESH_INTERVAL_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
  })
  .superRefine((config, ctx) => {
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
  return loadConfig(AuthConfigSchema, env)
}
