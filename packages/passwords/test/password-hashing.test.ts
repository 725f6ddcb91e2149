import { describe, expect, it } from 'vitest'
import { commonPasswordCount, OWASP_ARGON2, PasswordHasher, passwordProblem } from '../src/index.js'

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

  it('runs at most maxConcurrent at once, the rest in arrival order, and frees the slot on failure', async () => {
    const hasher = new PasswordHasher({ ...OWASP_ARGON2, memoryKib: 8192, maxConcurrent: 2 })
    const phc = await hasher.hash('mellow-copper-kettle')
    let peakActive = 0
    let peakWaiting = 0
    const finished: number[] = []
    const jobs = Array.from({ length: 7 }, (_, i) =>
      (i === 3
        ? hasher.verify('not a hash', 'x')
        : hasher.verify(phc, 'mellow-copper-kettle')
      ).then(() => finished.push(i)),
    )
    const sampler = setInterval(() => {
      peakActive = Math.max(peakActive, hasher.load.active)
      peakWaiting = Math.max(peakWaiting, hasher.load.waiting)
    }, 1)
    peakActive = Math.max(peakActive, hasher.load.active)
    peakWaiting = Math.max(peakWaiting, hasher.load.waiting)
    await Promise.all(jobs)
    clearInterval(sampler)
    expect(peakActive).toBe(2)
    expect(peakWaiting).toBe(5)
    expect(hasher.load).toEqual({ active: 0, waiting: 0 })
    expect(finished).toHaveLength(7)
    expect(() => new PasswordHasher({ ...OWASP_ARGON2, maxConcurrent: 0 })).toThrow(TypeError)
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
