/**
 * What may import what in this workspace, as dependency-cruiser rules. docs/architecture.md
 * ("What may import what") says why; test/import-rules.test.ts proves each rule catches a
 * violation. `pnpm check:imports` (part of `pnpm lint`) runs them over every package's source
 * and tests.
 *
 * A workspace package is reached two ways, and each rule matches both: by its folder (a relative
 * import, `../../auth-service/src/app.js`) and by its name (`@authpair/auth-service`). Names are
 * deliberately left unresolved (no `exports`/`main` lookup below): they point at dist/, which
 * exists only after `pnpm build`, and CI lints before it builds, so resolving them would make the
 * result depend on the order of the steps.
 */
const { existsSync, readdirSync, readFileSync } = require('node:fs')
const { join } = require('node:path')

/** The workspace packages under `group` (a folder of packages, or one package): folder and name. */
function members(root, group) {
  const folders = existsSync(join(root, group, 'package.json'))
    ? [group]
    : existsSync(join(root, group))
      ? readdirSync(join(root, group))
          .map((name) => `${group}/${name}`)
          .filter((folder) => existsSync(join(root, folder, 'package.json')))
      : []
  return folders.map((folder) => ({
    folder,
    name: JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8')).name,
  }))
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** A `to.path` pattern for these packages: their folders, or their names with any subpath. */
function reaching(packages) {
  const alternatives = packages.flatMap(({ folder, name }) => [
    `${escapeRegExp(folder)}/`,
    `${escapeRegExp(name)}(/|$)`,
  ])
  return alternatives.length ? `^(${alternatives.join('|')})` : '^$.'
}

/** The rules for the workspace at `root` (the folder holding packages/, services/, …). */
function importRules(root) {
  const services = members(root, 'services')
  const packages = members(root, 'packages')
  const apps = [
    ...services,
    ...members(root, 'apps'),
    ...members(root, 'tools'),
    ...members(root, 'bench'),
  ]
  const e2e = members(root, 'e2e')
  const everyone = [...packages, ...apps, ...e2e, ...members(root, 'tooling')]
  const named = (folder) => everyone.filter((p) => p.folder === folder)

  return {
    forbidden: [
      {
        name: 'no-service-imports-a-service',
        comment:
          'A service never imports another service, in its source or its tests: each deploys and ' +
          'keeps working on its own. Tests that need both live in e2e/.',
        severity: 'error',
        from: { path: '^services/([^/]+)/' },
        to: { path: reaching(services), pathNot: '^(services/$1/|@authpair/$1(/|$))' },
      },
      {
        name: 'no-package-imports-an-app',
        comment:
          'packages/* are the shared layer under the services: they never import a service, a ' +
          'tool, the benchmark or the end-to-end tests.',
        severity: 'error',
        from: { path: '^packages/' },
        to: { path: reaching([...apps, ...e2e]) },
      },
      {
        name: 'storage-knows-no-api',
        comment:
          'packages/db stores and returns its own records; mapping them to the API shapes of ' +
          '@authpair/contracts happens above it (CONVENTIONS.md 15).',
        severity: 'error',
        from: { path: '^packages/db/' },
        to: { path: reaching(named('packages/contracts')) },
      },
      {
        name: 'verifier-stands-alone',
        comment:
          'packages/jwt-verify is what other teams install to verify our tokens: it imports no ' +
          'other workspace package (no data layer, no service, no service-kit).',
        severity: 'error',
        from: { path: '^packages/jwt-verify/' },
        to: {
          path: reaching(everyone.filter((p) => p.folder !== 'packages/jwt-verify')),
        },
      },
      {
        name: 'tools-and-bench-start-services-as-processes',
        comment:
          'tools/ and bench/ run a service the way its image does (node dist/server.js) and talk ' +
          'to it over HTTP; they never import a service.',
        severity: 'error',
        from: { path: '^(tools|bench)/' },
        to: { path: reaching(services) },
      },
      {
        name: 'bench-drives-the-system-from-outside',
        comment:
          'bench/ sets up through processes (the migration CLI) and measures over HTTP; the one ' +
          'package it loads in-process is the verifier, measured as its consumers run it.',
        severity: 'error',
        from: { path: '^bench/' },
        to: {
          path: reaching(
            everyone.filter((p) => !['bench', 'packages/jwt-verify'].includes(p.folder)),
          ),
        },
      },
      {
        name: 'e2e-is-a-leaf',
        comment: 'Only e2e/ imports both services; nothing imports e2e/.',
        severity: 'error',
        from: { pathNot: '^e2e/' },
        to: { path: reaching(e2e) },
      },
      {
        name: 'through-the-package-entry',
        comment:
          'Another package is imported by its name (its exports), never by a relative path into ' +
          'its source or tests: what it does not export is its own business.',
        severity: 'error',
        from: { path: '^(packages|services|tools)/([^/]+)/' },
        to: { path: '^(packages|services|tools)/[^/]+/(src|test)/', pathNot: '^$1/$2/' },
      },
      {
        name: 'through-the-package-entry-from-bench-and-e2e',
        comment: 'As through-the-package-entry, for the single-package folders bench/ and e2e/.',
        severity: 'error',
        from: { path: '^(bench|e2e)/' },
        to: { path: '^(packages|services|tools)/[^/]+/(src|test)/' },
      },
    ],
    options: {
      doNotFollow: { path: 'node_modules' },
      exclude: { path: '(^|/)(node_modules|dist)/' },
      // `import type` is a dependency too: a type from the API is still knowledge of the API.
      tsPreCompilationDeps: true,
      // Package names stay unresolved (see the top of this file); relative imports resolve, and
      // `./x.js` finds `./x.ts` as TypeScript's NodeNext resolution does.
      enhancedResolveOptions: { exportsFields: [], mainFields: [], mainFiles: [] },
    },
  }
}

module.exports = { importRules }
