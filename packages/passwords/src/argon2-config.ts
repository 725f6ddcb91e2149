import { z } from 'zod'
import { PasswordHasher } from './password-hasher.js'

/**
 * The argon2id settings both services read (spread into each one's config schema), so an
 * operator sets them once and both hash alike.
 */
export const argon2ConfigShape = {
  /** argon2id memory cost, KiB (OWASP: 19456 = 19 MiB). */
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(8192).max(1_048_576).default(19_456),
  /** argon2id iterations (OWASP: 2 with 19 MiB). */
  ARGON2_ITERATIONS: z.coerce.number().int().min(1).max(10).default(2),
  /** argon2id parallelism (OWASP: 1). */
  ARGON2_PARALLELISM: z.coerce.number().int().min(1).max(8).default(1),
  /**
   * argon2id computations at once, the rest queue; unset = the cores this process may use.
   * Each holds ARGON2_MEMORY_KIB.
   */
  ARGON2_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(64).optional(),
}

export interface Argon2Config {
  ARGON2_MEMORY_KIB: number
  ARGON2_ITERATIONS: number
  ARGON2_PARALLELISM: number
  ARGON2_MAX_CONCURRENCY?: number | undefined
}

/** The hasher for a service's configuration. */
export function passwordHasherFromConfig(config: Argon2Config): PasswordHasher {
  return new PasswordHasher({
    memoryKib: config.ARGON2_MEMORY_KIB,
    iterations: config.ARGON2_ITERATIONS,
    parallelism: config.ARGON2_PARALLELISM,
    ...(config.ARGON2_MAX_CONCURRENCY ? { maxConcurrent: config.ARGON2_MAX_CONCURRENCY } : {}),
  })
}
