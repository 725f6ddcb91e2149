/**
 * Both services open the same SQLite file: it must be in WAL mode with a busy timeout, so a
 * writer waits for the other instead of failing with SQLITE_BUSY.
 */

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { openSqliteHandle } from '../src/database.sqlite.js'
import { DatabaseUnavailableError, migrateDatabase, newId, openDatabase } from '../src/index.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const user = (email: string) => ({
  id: newId(),
  email,
  createdAt: new Date(),
  updatedAt: new Date(),
})

const dir = mkdtempSync(join(tmpdir(), 'authpair-sqlite-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('SQLite file shared by two processes', () => {
  it('opens in WAL mode with a busy timeout and foreign keys on', () => {
    const handle = openSqliteHandle(join(dir, 'pragmas.db'), { busyTimeoutMs: 1234 })
    expect(handle.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(handle.pragma('busy_timeout', { simple: true })).toBe(1234)
    expect(handle.pragma('foreign_keys', { simple: true })).toBe(1)
    handle.close()
  })

  it('makes a writer wait for another process holding the write lock, not fail', async () => {
    const path = join(dir, 'shared.db')
    await migrateDatabase({ dialect: 'sqlite', path })
    // Another process takes the write lock, says so, holds it for 300 ms, then commits.
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import Db from 'better-sqlite3'
         const h = new Db(${JSON.stringify(path)})
         h.exec('BEGIN IMMEDIATE')
         process.stdout.write('locked\\n')
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300)
         h.exec('COMMIT')
         h.close()`,
      ],
      { cwd: packageDir, stdio: ['ignore', 'pipe', 'inherit'] },
    )
    await once(holder.stdout, 'data')

    const impatient = openDatabase({ dialect: 'sqlite', path }, { busyTimeoutMs: 0 })
    await expect(impatient.users.create(user('impatient@example.com'))).rejects.toBeInstanceOf(
      DatabaseUnavailableError,
    )
    await impatient.close()

    const patient = openDatabase({ dialect: 'sqlite', path }, { busyTimeoutMs: 5000 })
    const created = await patient.users.create(user('patient@example.com'))
    expect(await patient.users.findById(created.id)).toEqual(created)
    await patient.close()
    await once(holder, 'exit')
  })

  it('creates the directory of a file path that does not exist yet', async () => {
    const path = join(dir, 'nested', 'deeper', 'new.db')
    const result = await migrateDatabase({ dialect: 'sqlite', path })
    expect(result.applied).toBeGreaterThan(0)
  })
})
