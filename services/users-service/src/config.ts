/**
 * The users-service's configuration: the only file that reads process.env. Every variable is
 * in .env.example with a comment; defaults live here, in the schema.
 */
import { databaseUrlSchema, dbPoolMaxSchema } from '@authpair/db'
import {
  baseConfigShape,
  httpUrlSchema,
  listSchema,
  loadConfig,
  portSchema,
} from '@authpair/service-kit'
import { z } from 'zod'

export const UsersConfigSchema = z.object({
  ...baseConfigShape,
  PORT: portSchema(3002),
  /** postgres://… or a SQLite file path; unset: SQLite under ./data/. */
  DATABASE_URL: databaseUrlSchema,
  DB_POOL_MAX: dbPoolMaxSchema,
  /**
   * Where the auth-service publishes its keys. Configured, never derived from a token: direct to
   * the auth-service on the internal network (the gateway does not need to be up).
   */
  JWKS_URL: httpUrlSchema.default('http://127.0.0.1:3001/auth/.well-known/jwks.json'),
  /** The `iss` tokens must carry: the auth-service's ISSUER. */
  ISSUER: httpUrlSchema.default('http://localhost:8080'),
  /** The `aud` tokens must carry: the auth-service's JWT_AUDIENCE. */
  JWT_AUDIENCE: z.string().min(1).default('authpair-api'),
  /** Accepted signature algorithms; must include the auth-service's JWT_ALG. */
  JWT_ALGORITHMS: listSchema('RS256').pipe(
    z
      .array(z.enum(['RS256', 'ES256', 'EdDSA'], { message: 'must list RS256, ES256 or EdDSA' }))
      .min(1),
  ),
  /** Clock skew tolerated on exp and nbf, seconds. */
  JWT_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
})

export type UsersConfig = z.output<typeof UsersConfigSchema>

export function loadUsersConfig(
  env: Record<string, string | undefined> = process.env,
): UsersConfig {
  return loadConfig(UsersConfigSchema, env)
}
