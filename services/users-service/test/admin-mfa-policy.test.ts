/**
 * MFA_REQUIRED_ROLES on the users-service's admin API (default: admin): an admin without a
 * second factor is sent to enrol, and an admin token issued without the factor (no `mfa` in
 * amr) is refused, whatever its signature says about the role.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Pair, startUsersService } from './helper.js'

let pair: Pair
beforeAll(async () => {
  // The default, not the helper's empty list.
  pair = await startUsersService({ MFA_REQUIRED_ROLES: 'admin', REVOCATION_CACHE_TTL_MS: '0' })
})
afterAll(async () => pair?.close())

const as = (token: string) => ({ authorization: `Bearer ${token}` })

describe('the admin API under MFA_REQUIRED_ROLES=admin', () => {
  it('answers 403 mfa_enrollment_required to an admin without a second factor', async () => {
    const admin = await pair.userWithToken('admin')
    const res = await pair.users.inject({ url: '/admin/users', headers: as(admin.token) })
    expect(res.statusCode).toBe(403)
    expect(res.json().code).toBe('mfa_enrollment_required')
  })

  it('refuses an admin token without mfa in amr (403 mfa_required), accepts one with it', async () => {
    const admin = await pair.userWithToken('admin')
    const now = new Date()
    await pair.users.db.secondFactors.beginTotp({
      userId: admin.userId,
      secretEnc: 'sealed-elsewhere',
      createdAt: now,
    })
    await pair.users.db.secondFactors.confirmTotp(admin.userId, { at: now, step: 1 }, [])
    const passwordOnly = await pair.issuer.accessToken({ ...admin, role: 'admin', amr: ['pwd'] })
    const refused = await pair.users.inject({ url: '/admin/users', headers: as(passwordOnly) })
    expect(refused.statusCode).toBe(403)
    expect(refused.json().code).toBe('mfa_required')

    const twoFactors = await pair.issuer.accessToken({
      ...admin,
      role: 'admin',
      amr: ['pwd', 'otp', 'mfa'],
    })
    const ok = await pair.users.inject({ url: '/admin/users', headers: as(twoFactors) })
    expect(ok.statusCode).toBe(200)
    // The admin view shows the factor.
    const me = ok.json().items.find((u: { id: string }) => u.id === admin.userId)
    expect(me.mfa_enabled).toBe(true)
  })

  it('leaves a role that is not listed alone: a user is 403 forbidden, not asked to enrol', async () => {
    const user = await pair.userWithToken('user')
    const res = await pair.users.inject({ url: '/admin/users', headers: as(user.token) })
    expect(res.statusCode).toBe(403)
    expect(res.json().code).toBe('forbidden')
  })
})

describe('the profile', () => {
  it('says whether a second factor is on (mfa_enabled)', async () => {
    const user = await pair.userWithToken('user')
    const before = await pair.users.inject({ url: '/users/me', headers: as(user.token) })
    expect(before.json().mfa_enabled).toBe(false)
    const now = new Date()
    await pair.users.db.secondFactors.beginTotp({
      userId: user.userId,
      secretEnc: 'sealed-elsewhere',
      createdAt: now,
    })
    // An enrolment in progress is not a factor yet.
    const pending = await pair.users.inject({ url: '/users/me', headers: as(user.token) })
    expect(pending.json().mfa_enabled).toBe(false)
    await pair.users.db.secondFactors.confirmTotp(user.userId, { at: now, step: 1 }, [])
    const after = await pair.users.inject({ url: '/users/me', headers: as(user.token) })
    expect(after.json().mfa_enabled).toBe(true)
  })
})
