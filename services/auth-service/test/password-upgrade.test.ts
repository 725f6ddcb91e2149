import { createTestDatabase } from '@authpair/db/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { buildTestApp, randomKek } from './helper.js'

const cleanups: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await c()
})

describe('password hash upgrade', () => {
  it('re-hashes at login when the parameters changed between two logins', async () => {
    const database = await createTestDatabase()
    cleanups.push(() => database.drop())
    const kek = randomKek()
    const old = await buildTestApp(
      { KEY_ENCRYPTION_KEY: kek, ARGON2_MEMORY_KIB: '8192', ARGON2_ITERATIONS: '1' },
      { database },
    )
    await old.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email: 'upgrade@example.com', password: 'mellow-copper-kettle' },
    })
    const before = await old.app.db.users.findByEmail('upgrade@example.com')
    expect(before?.passwordHash).toMatch(/\$m=8192,t=1,p=1\$/)
    await old.close()

    const current = await buildTestApp({ KEY_ENCRYPTION_KEY: kek }, { database })
    cleanups.push(() => current.close())
    const login = () =>
      current.app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { email: 'upgrade@example.com', password: 'mellow-copper-kettle' },
      })
    expect((await login()).statusCode).toBe(200)
    const after = await current.app.db.users.findByEmail('upgrade@example.com')
    expect(after?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(after?.passwordHash).not.toBe(before?.passwordHash)
    expect((await login()).statusCode).toBe(200)
  })
})
