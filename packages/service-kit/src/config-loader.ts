import { isAbsolute, join } from 'node:path'
import { DEFAULT_DATA_DIR, SQLITE_FILE_NAME } from '@authpair/db'
import { z } from 'zod'

/** A configuration value that failed validation; the message is one line naming the variable. */
export class ConfigError extends Error {
  readonly code = 'invalid_config'
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

function describeValue(env: Env, key: string): string {
  const value = env[key]
  if (value === undefined) return 'it is not set'
  // Never echo something that may be a secret: only its length for long values.
  if (/SECRET|KEY|PASSWORD|TOKEN/.test(key) || /:\/\/[^/]*:[^/]*@/.test(value)) {
    return `got a value of ${value.length} characters`
  }
  return `got ${JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value)}`
}

/**
 * Parses the environment with a zod object schema. Empty strings count as unset, so
 * `PORT=` in a compose file falls back to the default instead of failing as "not a number".
 * Throws ConfigError with one line: `PORT: must be ... (got "abc")`.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: Env): z.output<S> {
  const cleaned: Env = {}
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') cleaned[key] = value
  }
  const result = schema.safeParse(cleaned)
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '(config)')
    return `${key}: ${issue.message} (${describeValue(cleaned, key)})`
  })
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`)
}

const isUnset = (value: string | undefined) => value === undefined || value.trim() === ''

/** The gateway's port in development (GATEWAY_PORT's default). */
export const DEFAULT_GATEWAY_PORT = 8080

/**
 * The defaults that depend on another variable, filled in before a service's schema parses the
 * environment (a zod field cannot see its siblings). Each applies only when its variable is
 * unset or empty, so an explicit value always wins:
 *
 * - ISSUER: `http://localhost:<GATEWAY_PORT>`, the origin `pnpm start`'s gateway serves, so
 *   moving the gateway moves the issuer of tokens and discovery with it. A GATEWAY_PORT that
 *   is not a port is left to the schema to refuse.
 * - DATABASE_URL: `<DATA_DIR>/authpair.db`, so the embedded database lives beside the
 *   development key-encryption key (DATA_DIR/key-encryption.key); a DATA_DIR moves both.
 */
export function withDerivedDefaults(env: Env): Env {
  const derived: Env = { ...env }
  if (isUnset(env.ISSUER)) {
    const raw = env.GATEWAY_PORT?.trim()
    const port = isUnset(raw) ? DEFAULT_GATEWAY_PORT : Number(raw)
    if (Number.isInteger(port) && port > 0 && port <= 65535) {
      derived.ISSUER = `http://localhost:${port}`
    }
  }
  if (isUnset(env.DATABASE_URL)) {
    const dir = isUnset(env.DATA_DIR) ? DEFAULT_DATA_DIR : (env.DATA_DIR as string).trim()
    // A relative DATA_DIR stays relative (resolved from the working directory, as before);
    // `./` keeps a bare directory name from reading as a URL scheme.
    const file = join(dir, SQLITE_FILE_NAME)
    derived.DATABASE_URL = isAbsolute(file) ? file : `./${file}`
  }
  return derived
}

/** A TCP port from the environment. */
export const portSchema = (defaultPort: number) =>
  z.coerce
    .number({ message: 'must be a port number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 65535')
    .max(65535, 'must be between 0 and 65535')
    .default(defaultPort)

const flagSchema = z.enum(['true', 'false'], { message: 'must be true or false' })

/** `true` or `false` from the environment, as a boolean; unset means `defaultValue`. */
export const booleanSchema = (defaultValue: boolean) =>
  flagSchema.default(defaultValue ? 'true' : 'false').transform((value) => value === 'true')

/** `true` or `false`, with no default: undefined when unset (a default that depends on more). */
export const optionalBooleanSchema = () =>
  flagSchema.transform((value) => value === 'true').optional()

/** A comma-separated list, trimmed, empty entries dropped. */
export const listSchema = (defaultValue: string) =>
  z
    .string()
    .default(defaultValue)
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    )

const IP_OR_CIDR =
  /^(?:(?:\d{1,3}\.){3}\d{1,3}(?:\/\d{1,2})?|[0-9a-f:]*:[0-9a-f:.]*(?:\/\d{1,3})?)$/i

/** Settings every service reads, with their defaults. */
export const baseConfigShape = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** Interface to listen on. Default loopback; containers set 0.0.0.0. */
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * The proxy (the gateway) whose X-Forwarded-For is believed: exactly its address. Never
   * "true", nor a range the gateway shares with other hosts: anything trusted here can choose
   * the client address that the rate limits and the audit log see. Unset: none is believed.
   */
  TRUST_PROXY: listSchema('').pipe(
    z.array(z.string().regex(IP_OR_CIDR, 'must list IP addresses or CIDR ranges (never "true")')),
  ),
  /** Serve Swagger UI and the OpenAPI JSON. The gateway restricts them in production. */
  DOCS_ENABLED: booleanSchema(true),
  /** Milliseconds in-flight requests get to finish after SIGTERM before the process exits. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  /** Largest request body, bytes. */
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(65_536),
  /**
   * Browser origins allowed to call the public API with credentials (CORS), and the only
   * origins cookie mode's refresh and logout accept: exact origins such as
   * https://app.example.com, comma-separated. Unset: no cross-origin access at all.
   */
  CORS_ORIGINS: listSchema('').pipe(
    z.array(
      z
        .string()
        .refine(
          (value) => URL.canParse(value) && new URL(value).origin === value,
          'must list origins (scheme://host[:port], no path or trailing slash)',
        ),
    ),
  ),
}

/**
 * Rate-limit settings both services read: where the counters live, and the limit on checks of
 * the current password by a signed-in user (password change, account deletion), which both
 * services apply under one count.
 */
export const rateLimitConfigShape = {
  /**
   * Redis for rate-limit counters shared by every replica (redis://…). Unset: counters are kept
   * in memory, per process. When Redis is set but unreachable, limited routes answer 503
   * (fail closed), never unlimited.
   */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  /**
   * How long a Redis command may go unanswered, ms, before the limited request is answered
   * 503 (Retry-After) rather than held; Redis answers in well under a millisecond.
   */
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(50).max(10_000).default(500),
  /** Prefix of the rate-limit keys in Redis: deployments sharing one Redis need their own. */
  RATE_LIMIT_REDIS_PREFIX: z.string().min(1).max(100).default('authpair:rl:'),
  /**
   * Wrong current passwords per signed-in user per 15 minutes (password change, account
   * deletion), so a stolen access token cannot be used to guess the password online.
   */
  RATE_LIMIT_PASSWORD_CONFIRM_PER_USER: z.coerce.number().int().min(1).default(5),
}

export type BaseConfig = {
  NODE_ENV: 'development' | 'production' | 'test'
  HOST: string
  PORT: number
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  TRUST_PROXY: string[]
  DOCS_ENABLED: boolean
  SHUTDOWN_GRACE_MS: number
  BODY_LIMIT_BYTES: number
  CORS_ORIGINS: string[]
}

/** An http(s) URL, trailing slashes removed. */
export const httpUrlSchema = z
  .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
  .transform((value) => value.replace(/\/+$/, ''))
