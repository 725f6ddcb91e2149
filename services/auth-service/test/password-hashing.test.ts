import { createTestDatabase } from '@authpair/db/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { OWASP_ARGON2, PasswordHasher } from '../src/passwords/password-hasher.js'
import { commonPasswordCount, passwordProblem } from '../src/passwords/password-policy.js'
import { buildTestApp, randomKek } from './helper.js'

const cleanups: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await c()
})

describe('password hashing', () => {
  it('hashes with argon2id at OWASP’s parameters, carried in the hash', async () => {
    const hasher = new PasswordHasher(OWASP_ARGON2)
    const phc = await hasher.hash('mellow-copper-kettle')
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(await hasher.verify(phc, 'mellow-copper-kettle')).toEqual({
      valid: true,
      needsRehash: false,
    })
    expect(await hasher.verify(phc, 'mellow-copper-kettlf')).toEqual({
      valid: false,
      needsRehash: false,
    })
    expect((await hasher.verify('not a hash', 'x')).valid).toBe(false)
  })

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

describe('password rules (NIST SP 800-63B)', () => {
  it('ships a list of tens of thousands of common and breached passwords', () => {
    expect(commonPasswordCount()).toBeGreaterThan(40_000)
  })

  it.each([
    ['iloveyou1', 'is too common'],
    ['PASSWORD1', 'is too common'],
    ['aaaaaaaaaaaa', 'must not be one character repeated'],
    ['ada.lovelace-2026', 'must not contain your email address'],
  ])('refuses %s', (password, reason) => {
    expect(passwordProblem(password, { email: 'ada.lovelace@example.com' })).toContain(reason)
  })

  it('accepts long passphrases of any characters, with no composition rules', () => {
    for (const password of [
      'correct horse battery staple',
      'пароль без цифр и знаков',
      '🔑🔑 emoji pass 🔑🔑',
    ]) {
      expect(passwordProblem(password, { email: 'x@example.com' })).toBeUndefined()
    }
  })
})
