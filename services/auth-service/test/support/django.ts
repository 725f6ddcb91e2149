/**
 * A Django project's database made by Django itself (django_fixture.py beside this file), for
 * the import-django suite: SQLite, or PostgreSQL in the PostgreSQL run. Needs Debian's
 * python3-django, python3-argon2 and python3-bcrypt (and python3-psycopg2 for PostgreSQL):
 * without them the suite is skipped loudly, and fails under REQUIRE_DJANGO=1 (CI).
 */
import { execFile, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Dialect } from '@authpair/db'
import { TEST_POSTGRES_URL } from '@authpair/db/testing'
import postgres from 'postgres'

/** Debian's interpreter, where apt installs python3-django (not whatever python3 is first on PATH). */
const PYTHON = '/usr/bin/python3'
const FIXTURE = fileURLToPath(new URL('./django_fixture.py', import.meta.url))

/** Whether Django and its hashers' libraries import; throws instead of false under REQUIRE_DJANGO=1. */
export function djangoAvailable(suite: string, dialect: Dialect): boolean {
  const modules =
    dialect === 'postgres' ? 'django, argon2, bcrypt, psycopg2' : 'django, argon2, bcrypt'
  const probe = spawnSync(PYTHON, ['-c', `import ${modules}`], { encoding: 'utf8' })
  if (probe.status === 0) return true
  const reason = `${PYTHON} cannot import ${modules}: ${(probe.stderr || String(probe.error)).trim().split('\n').pop()}`
  if (process.env.REQUIRE_DJANGO === '1') {
    throw new Error(`Django is required (REQUIRE_DJANGO=1) but ${reason}`)
  }
  const line = '!'.repeat(78)
  console.warn(`\n${line}\n!! SKIPPED: ${suite}: ${reason}`)
  console.warn('!! apt-get install python3-django python3-argon2 python3-bcrypt python3-psycopg2')
  console.warn(`!! CI requires it (REQUIRE_DJANGO=1).\n${line}\n`)
  return false
}

export interface DjangoFixtureUser {
  id: number
  username: string
  email: string
  password: string | null
  hasher: string
  stored: string
}

export interface DjangoDatabase {
  /** What `import-django --from` takes: the SQLite path or the postgres:// URL. */
  source: string
  /** The same users as `dumpdata` JSON. */
  dumpdata: string
  django: string
  users: DjangoFixtureUser[]
  user(username: string): DjangoFixtureUser
  drop(): Promise<void>
}

export async function makeDjangoDatabase(dialect: Dialect): Promise<DjangoDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'authpair-django-'))
  const dumpdata = join(dir, 'dumpdata.json')
  let source = join(dir, 'db.sqlite3')
  let dropDatabase = async () => {}
  if (dialect === 'postgres') {
    const name = `django_fixture_${process.pid}_${randomBytes(6).toString('hex')}`
    const onServer = async (statement: string) => {
      const sql = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} })
      try {
        await sql.unsafe(statement)
      } finally {
        await sql.end({ timeout: 5 })
      }
    }
    await onServer(`create database "${name}"`)
    dropDatabase = () => onServer(`drop database if exists "${name}" with (force)`)
    const url = new URL(TEST_POSTGRES_URL)
    url.pathname = `/${name}`
    source = url.toString()
  }
  const drop = async () => {
    await dropDatabase()
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const { stdout } = await promisify(execFile)(PYTHON, [FIXTURE, dialect, source, dumpdata], {
      maxBuffer: 10 * 1024 * 1024,
    })
    const manifest = JSON.parse(stdout) as { django: string; users: DjangoFixtureUser[] }
    return {
      source,
      dumpdata,
      ...manifest,
      user(username) {
        const found = manifest.users.find((u) => u.username === username)
        if (!found) throw new Error(`no Django user ${username} in the fixture`)
        return found
      },
      drop,
    }
  } catch (error) {
    await drop()
    throw error
  }
}
