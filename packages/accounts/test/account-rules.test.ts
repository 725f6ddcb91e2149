/**
 * AccountRules against a real database of the run's dialect: how accounts are made, changed
 * and removed, the limited check of a current password, and who may use the admin API.
 */
import { type Database, openDatabase } from '@authpair/db'
import { createTestDatabase, type TestDatabase } from '@authpair/db/testing'
import { PasswordHasher } from '@authpair/passwords'
import { MemoryRateLimitStore, RateLimit } from '@authpair/service-kit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AccountRules,
  AuditTrail,
  adminAccessProblem,
  lastSignInMethodProblem,
  profileOf,
  signInMethodsOf,
} from '../src/index.js'

let testDb: TestDatabase
let db: Database
let rules: AccountRules
const auditErrors: unknown[] = []
let now = new Date('2026-06-01T00:00:00.000Z')
const client = { ip: '203.0.113.9', userAgent: 'test', requestId: 'r-1' }

beforeAll(async () => {
  testDb = await createTestDatabase()
  db = openDatabase(testDb.target)
  rules = new AccountRules({
    db,
    // The cheapest parameters the hasher takes: the rules, not argon2, are under test.
    hasher: new PasswordHasher({ memoryKib: 8192, iterations: 1, parallelism: 1 }),
    audit: new AuditTrail(
      db,
      () => now,
      (error) => auditErrors.push(error),
    ),
    now: () => now,
    passwordConfirmLimit: new RateLimit(new MemoryRateLimitStore(() => now.getTime()), {
      name: 'password-confirm',
      max: 3,
      windowMs: 15 * 60_000,
    }),
  })
})
afterAll(async () => {
  await db?.close()
  await testDb?.drop()
})

describe('making an account', () => {
  it('normalizes the address, hashes the password, and takes the clock’s time', async () => {
    const user = await rules.createUser({
      email: '  New@Example.com ',
      password: 'lantern-quiet-river-2',
    })
    expect(user).toMatchObject({ email: 'new@example.com', emailVerified: false, role: 'user' })
    expect(user.passwordHash).toMatch(/^\$argon2id\$/)
    expect(user.createdAt).toEqual(now)
  })

  it('answers 409 email_taken for an address in use, and 400 for a refused password', async () => {
    await expect(rules.createUser({ email: 'NEW@example.com' })).rejects.toMatchObject({
      status: 409,
      code: 'email_taken',
    })
    await expect(
      rules.createUser({ email: 'weak@example.com', password: 'password1' }),
    ).rejects.toMatchObject({ status: 400, code: 'password_rejected' })
    expect(await db.users.findByEmail('weak@example.com')).toBeUndefined()
  })

  it('never marks an account without an address as verified', async () => {
    const user = await rules.createUser({ email: null, emailVerified: true })
    expect(user).toMatchObject({ email: null, emailVerified: false })
  })
})

describe('changing and removing accounts', () => {
  it('keeps the last active admin, ends the sessions of a deactivated account, 404s the unknown', async () => {
    const admin = await rules.createUser({ email: 'only-admin@example.com', role: 'admin' })
    await expect(rules.updateAccount(admin.id, { role: 'user' })).rejects.toMatchObject({
      status: 409,
      code: 'last_admin',
    })
    await expect(rules.deleteAccount(admin.id, client)).rejects.toMatchObject({
      code: 'last_admin',
    })

    const member = await rules.createUser({ email: 'member@example.com' })
    await db.sessions.create(
      {
        id: crypto.randomUUID(),
        userId: member.id,
        createdAt: now,
        lastUsedAt: now,
        expiresAt: new Date(now.getTime() + 3_600_000),
        userAgent: null,
        ip: null,
      },
      {
        id: crypto.randomUUID(),
        tokenHash: `h-${member.id}`,
        createdAt: now,
        expiresAt: new Date(now.getTime() + 3_600_000),
      },
    )
    const deactivated = await rules.updateAccount(member.id, { isActive: false })
    expect(deactivated.isActive).toBe(false)
    expect(await db.sessions.listActive(member.id, now)).toEqual([])

    await expect(rules.updateAccount(crypto.randomUUID(), { name: 'x' })).rejects.toMatchObject({
      status: 404,
    })
    await expect(rules.deleteAccount(crypto.randomUUID(), client)).rejects.toMatchObject({
      status: 404,
    })
  })

  it('removes an account with an audit event naming who did it', async () => {
    const gone = await rules.createUser({ email: 'gone@example.com' })
    await rules.deleteAccount(gone.id, client, 'admin-42')
    expect(await db.users.findById(gone.id)).toBeUndefined()
    const [event] = await db.auditEvents.listForUser(gone.id, 10)
    expect(event).toMatchObject({ type: 'user_deleted', actorId: 'admin-42', ip: client.ip })
    expect(auditErrors).toEqual([])
  })
})

describe('checking a current password', () => {
  it('stops guessing: 429 after the limit, even for the right password, until the window ends', async () => {
    const user = await rules.createUser({
      email: 'guessed@example.com',
      password: 'the-right-one-77',
    })
    expect(await rules.confirmCurrentPassword(user, 'the-right-one-77')).toBe(true)
    for (let i = 0; i < 3; i++)
      expect(await rules.confirmCurrentPassword(user, `wrong-${i}`)).toBe(false)
    await expect(rules.confirmCurrentPassword(user, 'the-right-one-77')).rejects.toMatchObject({
      status: 429,
      code: 'rate_limited',
    })
    now = new Date(now.getTime() + 15 * 60_000 + 1)
    expect(await rules.confirmCurrentPassword(user, 'the-right-one-77')).toBe(true)
  })

  it('costs an account without a password the same work, and never passes it', async () => {
    const user = await rules.createUser({ email: 'no-password@example.com' })
    expect(await rules.confirmCurrentPassword(user, 'anything-at-all')).toBe(false)
  })
})

describe('the admin API and MFA_REQUIRED_ROLES', () => {
  const policy = { requiredRoles: ['admin' as const] }
  const withMfa = { amr: ['pwd', 'otp', 'mfa'] }
  const passwordOnly = { amr: ['pwd'] }

  it('refuses a non-admin and a deactivated admin with 403 forbidden', async () => {
    const user = await rules.createUser({ email: 'plain-user@example.com' })
    expect((await adminAccessProblem(db, user, withMfa, policy))?.code).toBe('forbidden')
    const inactive = { ...user, role: 'admin', isActive: false }
    expect((await adminAccessProblem(db, inactive, withMfa, policy))?.code).toBe('forbidden')
    expect((await adminAccessProblem(db, undefined, withMfa, policy))?.code).toBe('forbidden')
  })

  it('asks an admin without a factor to enrol, then for a token that used it', async () => {
    const admin = await rules.createUser({ email: 'mfa-admin@example.com', role: 'admin' })
    const enrol = await adminAccessProblem(db, admin, withMfa, policy)
    expect(enrol).toMatchObject({ status: 403, code: 'mfa_enrollment_required' })
    // Not required for the role: the admin passes with a password-only token.
    expect(await adminAccessProblem(db, admin, passwordOnly, { requiredRoles: [] })).toBeUndefined()

    await db.secondFactors.beginTotp({ userId: admin.id, secretEnc: 'sealed', createdAt: now })
    // An enrolment in progress is not a factor.
    expect((await adminAccessProblem(db, admin, withMfa, policy))?.code).toBe(
      'mfa_enrollment_required',
    )
    expect((await profileOf(db, admin)).mfa_enabled).toBe(false)
    await db.secondFactors.confirmTotp(admin.id, { at: now, step: 1 }, [])
    expect((await profileOf(db, admin)).mfa_enabled).toBe(true)
    const without = await adminAccessProblem(db, admin, passwordOnly, policy)
    expect(without).toMatchObject({ status: 403, code: 'mfa_required' })
    expect(await adminAccessProblem(db, admin, withMfa, policy)).toBeUndefined()
  })
})

describe('passkeys and the account rules', () => {
  const policy = { requiredRoles: ['admin' as const] }
  const passkeyRow = (userId: string) => ({
    id: `pk-${userId}`,
    userId,
    credentialId: `cred-${userId}`,
    publicKey: 'pk',
    signCount: 0,
    backupEligible: false,
    backedUp: false,
    name: 'Key',
    createdAt: now,
  })

  it('lets an admin whose only factor is a passkey in with a passkey sign-in (hwk, mfa)', async () => {
    const admin = await rules.createUser({ email: 'passkey-admin@example.com', role: 'admin' })
    await db.passkeys.create(passkeyRow(admin.id))
    expect(await adminAccessProblem(db, admin, { amr: ['hwk', 'mfa'] }, policy)).toBeUndefined()
    const password = await adminAccessProblem(db, admin, { amr: ['pwd'] }, policy)
    expect(password?.code).toBe('mfa_required')
  })

  it('refuses to remove the last way to sign in, counting passkeys', async () => {
    const user = await rules.createUser({ email: 'passkey-only@example.com' })
    await db.passkeys.create(passkeyRow(user.id))
    const withoutPassword = { ...user, passwordHash: null }
    const methods = await signInMethodsOf(db, withoutPassword)
    expect(methods).toEqual({ password: false, identities: 0, passkeys: 1 })
    expect(lastSignInMethodProblem(methods)).toMatchObject({
      status: 409,
      code: 'last_sign_in_method',
    })
    expect(lastSignInMethodProblem({ ...methods, password: true })).toBeUndefined()
    expect(lastSignInMethodProblem({ ...methods, passkeys: 2 })).toBeUndefined()
    expect(lastSignInMethodProblem({ password: false, identities: 1, passkeys: 0 })?.code).toBe(
      'last_sign_in_method',
    )
  })
})
