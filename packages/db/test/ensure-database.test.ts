/**
 * The development launcher's `ensurePostgresDatabase` (issue 21): the README's PostgreSQL
 * command names a database nobody has created; the launcher creates it, once, and leaves an
 * existing one alone. Runs in the PostgreSQL pass, against the test server.
 */
import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import { afterAll, describe, expect, it } from 'vitest'
import { ensurePostgresDatabase } from '../src/ensure-database.js'
import { dropTestServerDatabase, TEST_POSTGRES_URL, testDialect } from '../src/testing.js'

const created: string[] = []
const urlOf = (name: string) => {
  const url = new URL(TEST_POSTGRES_URL)
  url.pathname = `/${name}`
  return url.toString()
}
afterAll(async () => {
  for (const name of created) await dropTestServerDatabase(name)
})

describe.skipIf(testDialect() !== 'postgres')('ensurePostgresDatabase', () => {
  it('creates a database that does not exist, then finds it there', async () => {
    const name = `authpair_ensure_${randomBytes(5).toString('hex')}`
    created.push(name)
    expect(await ensurePostgresDatabase(urlOf(name))).toBe('created')
    const client = postgres(urlOf(name), { max: 1, onnotice: () => {} })
    try {
      const [row] = await client`select current_database() as name`
      expect(row?.name).toBe(name)
    } finally {
      await client.end({ timeout: 5 })
    }
    expect(await ensurePostgresDatabase(urlOf(name))).toBe('exists')
  })

  it('quotes the name: capitals and a hyphen are created as spelled', async () => {
    const name = `Authpair-Dev_${randomBytes(4).toString('hex')}`
    created.push(name)
    expect(await ensurePostgresDatabase(urlOf(name))).toBe('created')
    expect(await ensurePostgresDatabase(urlOf(name))).toBe('exists')
  })

  it('throws other failures as they are (a server that refuses the connection)', async () => {
    await expect(ensurePostgresDatabase('postgres://postgres@127.0.0.1:1/x')).rejects.toThrow()
  })
})
