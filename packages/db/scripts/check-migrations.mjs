#!/usr/bin/env node
/**
 * `pnpm --filter @authpair/db check:migrations`: fails when the Drizzle schemas and the committed
 * migrations differ, for either dialect. It runs `drizzle-kit generate` for both (the package's
 * `generate` script) and asks git whether anything under drizzle/ changed or appeared: a new
 * migration file is untracked, which `git diff` alone would not report. What drizzle-kit wrote is
 * left in place, to review and commit. CI runs this (scripts/ci-steps.sh).
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

execFileSync('pnpm', ['run', 'generate'], { cwd: packageDir, stdio: 'inherit' })
const changed = execFileSync('git', ['status', '--porcelain', '--', 'drizzle'], {
  cwd: packageDir,
  encoding: 'utf8',
})
if (changed.trim() !== '') {
  console.error(changed.trimEnd())
  console.error(
    'FAILED: the Drizzle schemas and the committed migrations differ (packages/db/drizzle);' +
      ' drizzle-kit generate wrote the files above: review and commit them',
  )
  process.exit(1)
}
console.log('migrations match the schemas (drizzle-kit generate made no change)')
