/**
 * The move from Django, measured: `pnpm manage import-django` (run as a process, pinned to the
 * services' core, as an operator runs it) on a dumpdata file of `count` users, and the cost of
 * an imported user's first sign-in, whose hash is Django's PBKDF2 at Django's own iteration
 * count (then replaced by argon2id).
 */
import { spawnSync } from 'node:child_process'
import { pbkdf2Sync, randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pinned } from './processes.js'

/** Django 5.2's PBKDF2PasswordHasher.iterations (the current LTS; 3.2 had 260,000). */
export const DJANGO_PBKDF2_ITERATIONS = 1_000_000
export const DJANGO_PASSWORD = 'django-bench-copper-kettle'

/** The emails of the imported users, `django-bench-<n>@example.com`, n from 1. */
export const djangoBenchEmail = (n: number) => `django-bench-${n}@example.com`

/**
 * A dumpdata file as `manage.py dumpdata auth.user socialaccount account` writes it: every
 * tenth user with a GitHub account, every other with a verified address. All share one real
 * pbkdf2_sha256 hash of DJANGO_PASSWORD (making 100,000 distinct ones would take a day; the
 * import copies hashes as they are and a sign-in's cost is the same).
 */
export function writeDumpdata(path: string, count: number): void {
  const salt = randomBytes(16).toString('base64url').slice(0, 22)
  const key = pbkdf2Sync(DJANGO_PASSWORD, salt, DJANGO_PBKDF2_ITERATIONS, 32, 'sha256')
  const hash = `pbkdf2_sha256$${DJANGO_PBKDF2_ITERATIONS}$${salt}$${key.toString('base64')}`
  const records: unknown[] = []
  for (let n = 1; n <= count; n++) {
    records.push({
      model: 'auth.user',
      pk: n,
      fields: {
        password: hash,
        last_login: n % 3 === 0 ? '2025-01-02T03:04:05.678Z' : null,
        is_superuser: false,
        username: `user${n}`,
        first_name: 'Bench',
        last_name: `User ${n}`,
        email: djangoBenchEmail(n),
        is_staff: false,
        is_active: true,
        date_joined: new Date(Date.UTC(2020, 0, 1) + n * 60_000).toISOString(),
        groups: [],
        user_permissions: [],
      },
    })
    if (n % 10 === 0) {
      records.push({
        model: 'socialaccount.socialaccount',
        pk: n,
        fields: { user: n, provider: 'github', uid: `gh-${n}`, extra_data: {} },
      })
    }
    if (n % 2 === 0) {
      records.push({
        model: 'account.emailaddress',
        pk: n,
        fields: { user: n, email: djangoBenchEmail(n), verified: true, primary: true },
      })
    }
  }
  writeFileSync(path, JSON.stringify(records))
}

/** Runs the import as a process on the services' core; users per second by the wall clock. */
export function runImport(
  root: string,
  env: Record<string, string>,
  from: string,
  count: number,
): { usersPerSecond: number; summary: string } {
  const [command, args] = pinned(0, process.execPath, [
    join(root, 'services/auth-service/dist/cli/manage.js'),
    'import-django',
    '--from',
    from,
  ])
  const started = performance.now()
  const out = spawnSync(command, args, {
    env: { ...process.env, ...env, LOG_LEVEL: 'error' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  const seconds = (performance.now() - started) / 1000
  const summary = out.stdout.split('\n').find((l) => l.startsWith('created ')) ?? ''
  if (out.status !== 0 || summary !== `created ${count}, updated 0, skipped 0, unchanged 0`) {
    throw new Error(`import-django: exit ${out.status}, "${summary}": ${out.stderr}`)
  }
  return { usersPerSecond: count / seconds, summary }
}

/** Raw PBKDF2-SHA256 at Django's iteration count, one at a time: the first sign-in's ceiling. */
export function rawPbkdf2Rate(seconds: number): number {
  const deadline = performance.now() + Math.max(1, seconds / 2) * 1000
  const started = performance.now()
  let n = 0
  while (performance.now() < deadline) {
    pbkdf2Sync(DJANGO_PASSWORD, 'bench-salt-0123456789', DJANGO_PBKDF2_ITERATIONS, 32, 'sha256')
    n++
  }
  return n / ((performance.now() - started) / 1000)
}
