#!/usr/bin/env node
/**
 * `pnpm test`: every suite on SQLite, then again on PostgreSQL.
 *
 * PostgreSQL is TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test); each test
 * file creates and drops its own database there. When it cannot be reached, the PostgreSQL run
 * is skipped with a loud banner, unless REQUIRE_POSTGRES=1 (set by CI, scripts/ci-steps.sh),
 * which makes that a failure. The last line is the total, as "N passed, N failed".
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const extraArgs = process.argv.slice(2)
const { probePostgres, TEST_POSTGRES_URL } = await import(join(root, 'packages/db/dist/testing.js'))

function runSuite(dialect) {
  const dir = mkdtempSync(join(tmpdir(), 'authpair-vitest-'))
  const report = join(dir, 'report.json')
  console.log(`\n=== tests on ${dialect} ===\n`)
  const result = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/vitest/vitest.mjs'),
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...extraArgs,
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, TEST_DB: dialect } },
  )
  let counts = { passed: 0, failed: 0, skipped: 0 }
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'))
    counts = {
      passed: json.numPassedTests,
      failed: json.numFailedTests,
      skipped: json.numPendingTests + json.numTodoTests,
    }
  } catch {
    counts.failed = Math.max(1, counts.failed) // no report: the run itself broke
  }
  rmSync(dir, { recursive: true, force: true })
  const ok = result.status === 0 && counts.failed === 0
  return { dialect, ok, ...counts }
}

const results = [runSuite('sqlite')]

const probe = await probePostgres()
if (probe.ok) {
  results.push(runSuite('postgres'))
} else if (process.env.REQUIRE_POSTGRES === '1') {
  console.error(
    `\nFAILED: PostgreSQL is required (REQUIRE_POSTGRES=1) but ${redact(TEST_POSTGRES_URL)} cannot be reached: ${probe.reason}`,
  )
  results.push({ dialect: 'postgres', ok: false, passed: 0, failed: 1, skipped: 0 })
} else {
  const line = '!'.repeat(78)
  console.warn(`\n${line}\n!! SKIPPED: the PostgreSQL run of every suite.`)
  console.warn(`!! ${redact(TEST_POSTGRES_URL)} cannot be reached: ${probe.reason}`)
  console.warn('!! Start PostgreSQL (or set TEST_POSTGRES_URL) to run them; CI requires them.')
  console.warn(`${line}`)
}

console.log('\n=== summary ===')
for (const r of results) {
  console.log(`${r.dialect}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`)
}
const total = results.reduce(
  (sum, r) => ({ passed: sum.passed + r.passed, failed: sum.failed + r.failed }),
  { passed: 0, failed: 0 },
)
console.log(`total: ${total.passed} passed, ${total.failed} failed`)
process.exit(results.every((r) => r.ok) ? 0 : 1)

function redact(url) {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')
}
