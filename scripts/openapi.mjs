#!/usr/bin/env node
/**
 * The services' OpenAPI documents, checked the way a client's tooling would read them:
 *
 *   1. builds the workspace (turbo; cached when nothing changed), unless --no-build;
 *   2. starts each service's app in-process on a throw-away SQLite database and writes the
 *      document it serves at /auth/docs/json and /users/docs/json to
 *      tooling/openapi-client-check/generated/ (git-ignored: the documents are the code's
 *      output, not a second source to keep in step);
 *   3. lints both with Redocly's recommended ruleset (redocly.yaml says what is turned off and
 *      why); any error or warning fails;
 *   4. generates TypeScript `paths` types from both with openapi-typescript and type-checks
 *      the small client in tooling/openapi-client-check against them.
 *
 * `pnpm openapi` runs it; CI runs it after the build (scripts/ci-steps.sh). Needs Node 20.19 or
 * later (Redocly CLI's engines), unlike the services (20.11).
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const root = resolve(import.meta.dirname, '..')
const checkDir = join(root, 'tooling/openapi-client-check')
const out = join(checkDir, 'generated')
const SERVICES = [
  {
    name: 'auth-service',
    app: 'services/auth-service/dist/app.js',
    factory: 'buildAuthApp',
    load: 'loadAuthConfig',
  },
  {
    name: 'users-service',
    app: 'services/users-service/dist/app.js',
    factory: 'buildUsersApp',
    load: 'loadUsersConfig',
  },
]

function step(message) {
  console.log(`\n==> ${message}`)
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) {
    console.error(`FAILED: ${command} ${args.join(' ')}`)
    process.exit(result.status ?? 1)
  }
}

if (!process.argv.includes('--no-build')) {
  step('build')
  run('pnpm', ['build', '--output-logs=errors-only'])
}

step(`write the documents to ${relative(root, out)}/`)
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
const { migrateDatabase } = await import(
  pathToFileURL(join(root, 'packages/db/dist/index.js')).href
)
const scratch = mkdtempSync(join(tmpdir(), 'authpair-openapi-'))
const documents = []
try {
  const database = join(scratch, 'openapi.db')
  await migrateDatabase({ dialect: 'sqlite', path: database })
  // The development configuration: what `pnpm start` serves (ISSUER http://localhost:8080).
  const env = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'silent',
    DATABASE_URL: database,
    DATA_DIR: scratch,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  }
  for (const service of SERVICES) {
    const module = await import(pathToFileURL(join(root, service.app)).href)
    const app = await module[service.factory]({ config: module[service.load](env), logger: false })
    try {
      await app.ready()
      const file = join(out, `${service.name}.json`)
      writeFileSync(file, `${JSON.stringify(app.swagger(), null, 2)}\n`)
      documents.push({ name: service.name, file })
      console.log(`${relative(root, file)}: ${Object.keys(app.swagger().paths).length} paths`)
    } finally {
      await app.close()
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true })
}

step('redocly lint (redocly.yaml): no errors and no warnings')
// `redocly lint` fails on errors only; a warning fails here too, since every warning of the
// recommended ruleset is either fixed or turned off, with its reason, in redocly.yaml.
for (const document of documents) {
  const lint = ['exec', 'redocly', 'lint', '--config', 'redocly.yaml', document.file]
  const report = spawnSync('pnpm', [...lint, '--format=json'], { cwd: root, encoding: 'utf8' })
  let totals
  try {
    // Skips whatever Redocly may print before its report (a notice about Node versions).
    totals = JSON.parse(report.stdout.slice(report.stdout.indexOf('{'))).totals
  } catch {
    console.error(report.stdout, report.stderr)
    console.error('FAILED: redocly lint did not report')
    process.exit(1)
  }
  console.log(
    `${document.name}: errors ${totals.errors}, warnings ${totals.warnings}, ignored ${totals.ignored}`,
  )
  if (totals.errors + totals.warnings + totals.ignored > 0) {
    spawnSync('pnpm', [...lint, '--max-problems=1000'], { cwd: root, stdio: 'inherit' })
    console.error('FAILED: fix the document (or, with a reason, turn the rule off in redocly.yaml)')
    process.exit(1)
  }
}

step('openapi-typescript: a typed client from both documents')
for (const document of documents) {
  run('pnpm', [
    'exec',
    'openapi-typescript',
    document.file,
    '--output',
    join(out, `${document.name}.ts`),
  ])
}

step('type-check tooling/openapi-client-check against the generated types')
run('pnpm', ['exec', 'tsc', '--noEmit', '-p', join(checkDir, 'tsconfig.json')])

console.log('\nOpenAPI documents: lint clean, and the typed client compiles.')
