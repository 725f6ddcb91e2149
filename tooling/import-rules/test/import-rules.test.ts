/**
 * The import rules (rules.cjs) catch what they forbid and let through what the layout needs.
 * Each case writes a small workspace with this repository's folders and package names and one
 * file whose imports are under test, cruises it with the rules, and compares what fired. Then the
 * real tree must break exactly the rules its known-violations.json lists: a new violation fails,
 * and so does an entry that no longer happens, so that the list cannot quietly excuse a later
 * one. Last, `pnpm check:imports` exactly as package.json spells it (what `pnpm lint`, and so CI,
 * runs) must fail on a workspace with a violation.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cruise, type ICruiseResult } from 'dependency-cruiser'
import { afterAll, describe, expect, it } from 'vitest'

interface Config {
  forbidden: object[]
  options: Record<string, unknown>
}
const rulesDir = fileURLToPath(new URL('..', import.meta.url))
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
const { importRules } = createRequire(import.meta.url)('../rules.cjs') as {
  importRules(root: string): Config
}

/** This repository's workspace packages: folder → name. */
const MEMBERS: Record<string, string> = {
  'packages/contracts': '@authpair/contracts',
  'packages/db': '@authpair/db',
  'packages/jwt-verify': '@authpair/jwt-verify',
  'packages/passwords': '@authpair/passwords',
  'packages/service-kit': '@authpair/service-kit',
  'services/auth-service': '@authpair/auth-service',
  'services/users-service': '@authpair/users-service',
  'tools/launcher': '@authpair/launcher',
  bench: '@authpair/bench',
  e2e: '@authpair/e2e',
  'tooling/typescript': '@authpair/tsconfig',
}
/** Files that relative imports in the cases point at. */
const TARGETS = [
  'services/auth-service/src/app.ts',
  'services/users-service/src/app.ts',
  'services/users-service/src/routes/me.ts',
  'services/users-service/test/helper.ts',
  'packages/db/src/index.ts',
  'packages/jwt-verify/src/index.ts',
  'e2e/test/helper.ts',
]
const CRUISED = ['packages', 'services', 'tools', 'bench', 'e2e', 'tooling']

const made: string[] = []
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true })
})

function write(dir: string, path: string, text: string) {
  mkdirSync(dirname(join(dir, path)), { recursive: true })
  writeFileSync(join(dir, path), text)
}

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'authpair-import-rules-'))
  made.push(dir)
  for (const [folder, name] of Object.entries(MEMBERS)) {
    write(dir, `${folder}/package.json`, JSON.stringify({ name }))
  }
  for (const path of TARGETS) write(dir, path, 'export {}\n')
  for (const [path, text] of Object.entries(files)) write(dir, path, text)
  return dir
}

/** `rule: from → to` for every violation the rules find in the workspace at `dir`. */
async function violations(dir: string): Promise<string[]> {
  const { forbidden, options } = importRules(dir)
  const result = await cruise(CRUISED, {
    ...options,
    baseDir: dir,
    validate: true,
    ruleSet: { forbidden },
  } as Parameters<typeof cruise>[1])
  const output = result.output as ICruiseResult
  return output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort()
}

describe('each rule catches what it forbids', () => {
  it.each<[string, string, string, [rule: string, to: string][]]>([
    [
      'a service’s test importing the other service by name',
      'services/users-service/test/pair.ts',
      "import { buildAuthApp } from '@authpair/auth-service'\nexport { buildAuthApp }\n",
      [['no-service-imports-a-service', '@authpair/auth-service']],
    ],
    [
      'a service reaching into the other service’s source by a relative path',
      'services/users-service/src/routes/keys.ts',
      "export { } from '../../../auth-service/src/app.js'\n",
      [
        ['no-service-imports-a-service', 'services/auth-service/src/app.ts'],
        ['through-the-package-entry', 'services/auth-service/src/app.ts'],
      ],
    ],
    [
      'a service importing only a type from a subpath of the other',
      'services/auth-service/src/users.ts',
      "import type { UsersConfig } from '@authpair/users-service/config'\nexport type { UsersConfig }\n",
      [['no-service-imports-a-service', '@authpair/users-service/config']],
    ],
    [
      'a package importing a service',
      'packages/service-kit/src/probe.ts',
      "import '@authpair/auth-service'\n",
      [['no-package-imports-an-app', '@authpair/auth-service']],
    ],
    [
      'a package importing a tool',
      'packages/db/src/launch.ts',
      "export { launch } from '@authpair/launcher'\n",
      [['no-package-imports-an-app', '@authpair/launcher']],
    ],
    [
      'the data layer importing an API type',
      'packages/db/src/profile.ts',
      "import type { Profile } from '@authpair/contracts'\nexport type { Profile }\n",
      [['storage-knows-no-api', '@authpair/contracts']],
    ],
    [
      'the data layer loading the contracts dynamically',
      'packages/db/src/late.ts',
      "export const contracts = () => import('@authpair/contracts')\n",
      [['storage-knows-no-api', '@authpair/contracts']],
    ],
    [
      'the verifier importing the data layer',
      'packages/jwt-verify/src/revocation.ts',
      "export { openDatabase } from '@authpair/db'\n",
      [['verifier-stands-alone', '@authpair/db']],
    ],
    [
      'the verifier importing service-kit',
      'packages/jwt-verify/src/errors.ts',
      "export { HttpProblem } from '@authpair/service-kit'\n",
      [['verifier-stands-alone', '@authpair/service-kit']],
    ],
    [
      'the verifier’s test importing a service',
      'packages/jwt-verify/test/users.test.ts',
      "import '@authpair/users-service'\n",
      [
        ['no-package-imports-an-app', '@authpair/users-service'],
        ['verifier-stands-alone', '@authpair/users-service'],
      ],
    ],
    [
      'a tool importing a service instead of starting it',
      'tools/launcher/src/main.ts',
      "export { buildUsersApp } from '@authpair/users-service'\n",
      [['tools-and-bench-start-services-as-processes', '@authpair/users-service']],
    ],
    [
      'the benchmark importing the data layer',
      'bench/src/main.ts',
      "export { migrateDatabase } from '@authpair/db'\n",
      [['bench-drives-the-system-from-outside', '@authpair/db']],
    ],
    [
      'the benchmark importing a service',
      'bench/src/main.ts',
      "export { buildAuthApp } from '@authpair/auth-service'\n",
      [
        ['bench-drives-the-system-from-outside', '@authpair/auth-service'],
        ['tools-and-bench-start-services-as-processes', '@authpair/auth-service'],
      ],
    ],
    [
      'an end-to-end test reaching into a service’s source',
      'e2e/test/app.test.ts',
      "export { } from '../../services/users-service/src/app.js'\n",
      [['through-the-package-entry-from-bench-and-e2e', 'services/users-service/src/app.ts']],
    ],
    [
      'a service’s test borrowing the end-to-end helper',
      'services/users-service/test/me.test.ts',
      "export { } from '../../../e2e/test/helper.js'\n",
      [['e2e-is-a-leaf', 'e2e/test/helper.ts']],
    ],
    [
      'a package reaching into another package’s source',
      'packages/service-kit/src/db.ts',
      "export { } from '../../db/src/index.js'\n",
      [['through-the-package-entry', 'packages/db/src/index.ts']],
    ],
  ])('catches %s', async (_name, from, source, expected) => {
    const dir = workspace({ [from]: source })
    expect(await violations(dir)).toEqual(
      expected.map(([rule, to]) => `${rule}: ${from} → ${to}`).sort(),
    )
  })
})

describe('the layout the rules describe passes them', () => {
  it('lets through each import the layout needs', async () => {
    const dir = workspace({
      'e2e/test/helper.ts': [
        "export { buildAuthApp } from '@authpair/auth-service'",
        "export { buildUsersApp } from '@authpair/users-service'",
        "export { createTestDatabase } from '@authpair/db/testing'",
        "export { freePort } from '@authpair/service-kit/testing'",
      ].join('\n'),
      'services/users-service/src/app.ts': [
        "export { newId } from '@authpair/db'",
        "export { databasePlugin } from '@authpair/db/fastify'",
        "export { jwtVerifyPlugin } from '@authpair/jwt-verify/fastify'",
        "export type { Profile } from '@authpair/contracts'",
        "export { PasswordHasher } from '@authpair/passwords'",
        "export { HttpProblem } from '@authpair/service-kit'",
        "export { } from './routes/me.js'",
      ].join('\n'),
      'services/users-service/test/me.test.ts':
        "export { } from '../src/app.js'\nexport { } from './helper.js'\n",
      'packages/service-kit/src/index.ts': "export type { Problem } from '@authpair/contracts'\n",
      'packages/jwt-verify/test/verifier.test.ts':
        "export { } from '../src/index.js'\nexport { SignJWT } from 'jose'\n",
      'bench/src/main.ts': "export { createVerifier } from '@authpair/jwt-verify'\n",
      'tools/launcher/src/main.ts':
        "export { migrateDatabase } from '@authpair/db'\nexport { loadConfig } from '@authpair/service-kit'\n",
    })
    expect(await violations(dir)).toEqual([])
  })
})

describe('this workspace', () => {
  it('breaks exactly the rules known-violations.json lists: none new, none stale', async () => {
    const known = JSON.parse(readFileSync(join(rulesDir, 'known-violations.json'), 'utf8')) as {
      from: string
      to: string
      rule: { name: string }
    }[]
    // A stale entry: it no longer happens, so delete it from known-violations.json.
    expect(await violations(repoRoot)).toEqual(
      known.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort(),
    )
  })

  it('fails `pnpm check:imports` (run by `pnpm lint`) on a violation, naming rule and import', () => {
    const script = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).scripts[
      'check:imports'
    ] as string
    const dir = workspace({
      'services/users-service/test/pair.ts':
        "import { buildAuthApp } from '@authpair/auth-service'\nexport { buildAuthApp }\n",
      // Every folder the script names must exist.
      'apps/admin-console/src/main.tsx': 'export {}\n',
    })
    for (const file of ['rules.cjs', 'dependency-cruiser.cjs']) {
      cpSync(join(rulesDir, file), join(dir, 'tooling/import-rules', file))
    }
    write(dir, 'tooling/import-rules/known-violations.json', '[]\n')
    const run = spawnSync('sh', ['-c', script], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${join(repoRoot, 'node_modules/.bin')}:${process.env.PATH}` },
    })
    console.log(`pnpm check:imports on a workspace with one violation:\n${run.stdout}`)
    expect(run.status).not.toBe(0)
    expect(run.stdout).toContain(
      'error no-service-imports-a-service: services/users-service/test/pair.ts → @authpair/auth-service',
    )
  })
})
