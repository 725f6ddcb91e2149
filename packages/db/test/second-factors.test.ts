/** Second factors' storage on the run's dialect: every "once" holds, including under a race. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, newId, openDatabase } from '../src/index.js'
import { createTestDatabase, type TestDatabase, testDialect } from '../src/testing.js'

let testDb: TestDatabase
let db: Database
beforeAll(async () => {
  testDb = await createTestDatabase()
  db = openDatabase(testDb.target)
})
afterAll(async () => {
  await db?.close()
  await testDb?.drop()
})

const t0 = new Date('2026-06-01T00:00:00.000Z')
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000)

async function user(): Promise<string> {
  const id = newId()
  await db.users.create({
    id,
    email: `${id}@example.com`,
    passwordHash: null,
    createdAt: t0,
    updatedAt: t0,
  })
  return id
}
const codes = (userId: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: newId(),
    userId,
    codeHash: `hash-${i}`,
    createdAt: t0,
  }))

describe(`second factors on ${testDialect()}`, () => {
  it('restarts an enrolment in progress, never overwrites a confirmed authenticator', async () => {
    const id = await user()
    expect(await db.secondFactors.beginTotp({ userId: id, secretEnc: 'one', createdAt: t0 })).toBe(
      true,
    )
    expect(
      await db.secondFactors.beginTotp({ userId: id, secretEnc: 'two', createdAt: at(1) }),
    ).toBe(true)
    expect((await db.secondFactors.findTotp(id))?.secretEnc).toBe('two')
    expect(await db.secondFactors.confirmTotp(id, { at: at(2), step: 100 }, codes(id, 3))).toBe(
      true,
    )
    // Confirmed: a new setup and a second confirmation both change nothing.
    expect(
      await db.secondFactors.beginTotp({ userId: id, secretEnc: 'three', createdAt: at(3) }),
    ).toBe(false)
    expect(await db.secondFactors.confirmTotp(id, { at: at(4), step: 200 }, [])).toBe(false)
    expect(await db.secondFactors.findTotp(id)).toMatchObject({
      secretEnc: 'two',
      confirmedAt: at(2),
      lastUsedStep: 100,
    })
    expect(await db.secondFactors.countUnusedRecoveryCodes(id)).toBe(3)
  })

  it('accepts each time step once and never an earlier one (a replay)', async () => {
    const id = await user()
    // Not confirmed yet: no step is accepted.
    await db.secondFactors.beginTotp({ userId: id, secretEnc: 's', createdAt: t0 })
    expect(await db.secondFactors.useTotpStep(id, 50)).toBe(false)
    await db.secondFactors.confirmTotp(id, { at: t0, step: 100 }, [])
    expect(await db.secondFactors.useTotpStep(id, 100)).toBe(false)
    expect(await db.secondFactors.useTotpStep(id, 99)).toBe(false)
    expect(await db.secondFactors.useTotpStep(id, 101)).toBe(true)
    expect(await db.secondFactors.useTotpStep(id, 101)).toBe(false)
    // Of concurrent uses of one step, exactly one wins.
    const race = await Promise.all(
      Array.from({ length: 8 }, () => db.secondFactors.useTotpStep(id, 102)),
    )
    expect(race.filter(Boolean)).toHaveLength(1)
  })

  it('spends a recovery code once, also under a race; replaces and removes them', async () => {
    const id = await user()
    await db.secondFactors.beginTotp({ userId: id, secretEnc: 's', createdAt: t0 })
    await db.secondFactors.confirmTotp(id, { at: t0, step: 1 }, codes(id, 10))
    const race = await Promise.all(
      Array.from({ length: 8 }, () => db.secondFactors.useRecoveryCode(id, 'hash-3', at(1))),
    )
    expect(race.filter(Boolean)).toHaveLength(1)
    expect(await db.secondFactors.useRecoveryCode(id, 'hash-3', at(2))).toBe(false)
    expect(await db.secondFactors.useRecoveryCode(id, 'no-such-hash', at(2))).toBe(false)
    // Another user's code is not this user's.
    const other = await user()
    expect(await db.secondFactors.useRecoveryCode(other, 'hash-4', at(2))).toBe(false)
    expect(await db.secondFactors.countUnusedRecoveryCodes(id)).toBe(9)

    expect(await db.secondFactors.replaceRecoveryCodes(id, codes(id, 10))).toBe(true)
    expect(await db.secondFactors.countUnusedRecoveryCodes(id)).toBe(10)
    expect(await db.secondFactors.useRecoveryCode(id, 'hash-3', at(3))).toBe(true)

    expect(await db.secondFactors.removeAll(id)).toEqual({ totp: true, recoveryCodes: 10 })
    expect(await db.secondFactors.findTotp(id)).toBeUndefined()
    expect(await db.secondFactors.countUnusedRecoveryCodes(id)).toBe(0)
    // Without a confirmed authenticator there is nothing to replace.
    expect(await db.secondFactors.replaceRecoveryCodes(id, codes(id, 10))).toBe(false)
    expect(await db.secondFactors.removeAll(id)).toEqual({ totp: false, recoveryCodes: 0 })
  })

  it('counts wrong answers on an mfa_challenge and spends it at the limit', async () => {
    const id = await user()
    await db.oneTimeTokens.issue({
      id: newId(),
      userId: id,
      purpose: 'mfa_challenge',
      tokenHash: `challenge-${id}`,
      createdAt: t0,
      expiresAt: at(300),
    })
    const hash = `challenge-${id}`
    for (let n = 1; n <= 4; n++) {
      expect(await db.oneTimeTokens.recordFailure(hash, 'mfa_challenge', at(n), 5)).toBe(n)
      expect(await db.oneTimeTokens.findActive(hash, 'mfa_challenge', at(n))).toBeDefined()
    }
    expect(await db.oneTimeTokens.recordFailure(hash, 'mfa_challenge', at(5), 5)).toBe(5)
    expect(await db.oneTimeTokens.findActive(hash, 'mfa_challenge', at(5))).toBeUndefined()
    expect(await db.oneTimeTokens.recordFailure(hash, 'mfa_challenge', at(6), 5)).toBeUndefined()
    expect(await db.oneTimeTokens.consume(hash, 'mfa_challenge', at(6))).toBeUndefined()
  })
})
