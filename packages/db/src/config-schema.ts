import { z } from 'zod'
import { type DatabaseTarget, DEFAULT_DATA_DIR, parseDatabaseUrl } from './connection-url.js'
import { DEFAULT_QUERY_TIMEOUT_MS } from './database.js'

/**
 * DATA_DIR: the one directory everything the embedded default writes lives in (the SQLite
 * database when DATABASE_URL is unset, the development key-encryption key), relative to the
 * working directory. Default ./data.
 */
export const dataDirSchema = z.string().default(DEFAULT_DATA_DIR)

/**
 * DATABASE_URL for a service's config schema: parsed into a target, one-line error otherwise.
 * Unset here means ./data/authpair.db: the services' config loaders fill in the file under
 * DATA_DIR before parsing (service-kit's withDerivedDefaults), since a field cannot see another.
 */
export const databaseUrlSchema = z
  .string()
  .optional()
  .transform((value, ctx): DatabaseTarget => {
    try {
      return parseDatabaseUrl(value)
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message })
      return z.NEVER
    }
  })

/** Pool size per process (PostgreSQL). */
export const dbPoolMaxSchema = z.coerce.number().int().min(1).max(100).default(10)

/**
 * DB_QUERY_TIMEOUT_MS: the deadline of each PostgreSQL data-access call, milliseconds (see
 * `DatabaseOptions.queryTimeoutMs`); past it the request is answered 503 with Retry-After.
 */
export const dbQueryTimeoutMsSchema = z.coerce
  .number()
  .int()
  .min(100)
  .max(60_000)
  .default(DEFAULT_QUERY_TIMEOUT_MS)
