import { existsSync } from 'node:fs'
import { resolve } from 'node:path'

export type EnvFileOutcome = 'loaded' | 'absent' | 'skipped_in_production'

/**
 * Development convenience: reads `file` (default `.env` in the working directory, the
 * repository root under `pnpm start` and `pnpm manage`) into the process environment with
 * Node's own parser (`process.loadEnvFile`, no dependency), when the file exists. A variable
 * the real environment already has is never replaced, so `PORT=1 pnpm start` beats the file;
 * a variable set to an empty string counts as set (and then, as everywhere, as unset by the
 * config schemas).
 *
 * Never in production (`nodeEnv`, the real environment's NODE_ENV): there the environment is
 * the deployment's, and a stray file in the working directory must not change it.
 */
export function loadEnvFileInDevelopment(
  nodeEnv: string | undefined,
  file = resolve('.env'),
): EnvFileOutcome {
  if (nodeEnv === 'production') return 'skipped_in_production'
  if (!existsSync(file)) return 'absent'
  process.loadEnvFile(file)
  return 'loaded'
}
