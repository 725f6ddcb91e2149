/**
 * The account rules that are decisions without I/O, each tested once here: which account a
 * provider identity reaches, whether a sign-in is complete, whether a session still authorizes
 * its bearer, whether a sign-in is recent enough.
 */
import type { UserRecord } from '@authpair/db'
import { describe, expect, it } from 'vitest'
import {
  amrOfFirstFactor,
  amrWithSecondFactor,
  decideFederatedAccount,
  isRecentSignIn,
  nextSignInStep,
  normalizeEmail,
  sessionAuthorizes,
} from '../src/index.js'

const t0 = new Date('2026-06-01T00:00:00.000Z')
const user = (extra: Partial<UserRecord> = {}): UserRecord => ({
  id: 'u1',
  email: 'a@example.com',
  emailVerified: true,
  passwordHash: 'hash',
  name: null,
  locale: null,
  role: 'user',
  isActive: true,
  createdAt: t0,
  updatedAt: t0,
  lastLoginAt: null,
  legacyId: null,
  ...extra,
})

describe('which account a provider identity reaches (pre-hijacked accounts)', () => {
  const facts = (extra: Partial<Parameters<typeof decideFederatedAccount>[0]>) => ({
    linkedUser: undefined,
    email: 'a@example.com',
    emailVerified: true,
    holder: undefined,
    ...extra,
  })

  it('signs a linked identity in to its account, unless the account is disabled', () => {
    expect(decideFederatedAccount(facts({ linkedUser: user() }))).toMatchObject({
      action: 'sign_in',
    })
    expect(decideFederatedAccount(facts({ linkedUser: user({ isActive: false }) }))).toEqual({
      action: 'refuse',
      reason: 'account_disabled',
    })
  })

  it('links a provider-verified address only to an account that verified it too', () => {
    expect(decideFederatedAccount(facts({ holder: user() }))).toMatchObject({ action: 'link' })
  })

  it('takes over an account that never verified the address the provider vouches for', () => {
    const pre = user({ emailVerified: false })
    expect(decideFederatedAccount(facts({ holder: pre }))).toEqual({ action: 'claim', user: pre })
  })

  it('never lets an unverified provider address link, claim or hold an address', () => {
    for (const holder of [user(), user({ emailVerified: false })]) {
      expect(decideFederatedAccount(facts({ emailVerified: false, holder }))).toEqual({
        action: 'refuse',
        reason: 'account_exists',
      })
    }
    expect(decideFederatedAccount(facts({ emailVerified: false }))).toEqual({
      action: 'create',
      email: null,
      pendingEmail: 'a@example.com',
    })
  })

  it('makes a verified account for a provider-verified address nobody holds', () => {
    expect(decideFederatedAccount(facts({}))).toEqual({
      action: 'create',
      email: 'a@example.com',
      pendingEmail: null,
    })
  })

  it('refuses a provider that gave no address, and a disabled holder', () => {
    expect(decideFederatedAccount(facts({ email: undefined }))).toEqual({
      action: 'refuse',
      reason: 'email_unavailable',
    })
    expect(decideFederatedAccount(facts({ holder: user({ isActive: false }) }))).toEqual({
      action: 'refuse',
      reason: 'account_disabled',
    })
  })
})

describe('the next step of a sign-in', () => {
  const strict = { requireEmailVerification: true }
  const lax = { requireEmailVerification: false }
  const none = { totp: false, passkeys: 0 }
  const totp = { totp: true, passkeys: 1 }
  const factors = [
    { kind: 'password' as const },
    { kind: 'provider' as const, provider: 'github' as const },
  ]
  const passkey = { kind: 'passkey' as const, synced: true }

  it('refuses a disabled account and (when required) an unverified address, whichever the factor', () => {
    for (const factor of factors) {
      const disabled = nextSignInStep(user({ isActive: false }), factor, lax, none)
      expect(disabled.kind === 'refused' && disabled.problem.code).toBe('account_disabled')
      const unverified = nextSignInStep(user({ emailVerified: false }), factor, strict, none)
      expect(unverified.kind === 'refused' && unverified.problem.code).toBe('email_not_verified')
      expect(nextSignInStep(user({ emailVerified: false }), factor, lax, none)).toEqual({
        kind: 'complete',
      })
      expect(nextSignInStep(user(), factor, strict, none)).toEqual({ kind: 'complete' })
    }
    const disabled = nextSignInStep(user({ isActive: false }), passkey, lax, totp)
    expect(disabled.kind === 'refused' && disabled.problem.code).toBe('account_disabled')
    const unverified = nextSignInStep(user({ emailVerified: false }), passkey, strict, totp)
    expect(unverified.kind === 'refused' && unverified.problem.code).toBe('email_not_verified')
  })

  it('never asks a passkey sign-in for the authenticator app: it is two factors already', () => {
    expect(nextSignInStep(user(), passkey, strict, totp)).toEqual({ kind: 'complete' })
  })

  it('asks an account with an authenticator for its second factor, whichever the first', () => {
    for (const factor of factors) {
      expect(nextSignInStep(user(), factor, strict, totp)).toEqual({
        kind: 'second_factor',
        methods: ['totp', 'recovery_code'],
      })
      // Refusals come first: no mfa_token for an account that may not sign in anyway.
      const disabled = nextSignInStep(user({ isActive: false }), factor, lax, totp)
      expect(disabled.kind === 'refused' && disabled.problem.code).toBe('account_disabled')
    }
  })

  it('names the factors in amr (RFC 8176): pwd or fed, then otp and mfa', () => {
    expect(amrOfFirstFactor({ kind: 'password' })).toEqual(['pwd'])
    expect(amrOfFirstFactor({ kind: 'provider', provider: 'google' })).toEqual(['fed'])
    expect(amrWithSecondFactor(['pwd'])).toEqual(['pwd', 'otp', 'mfa'])
    expect(amrWithSecondFactor(['fed'])).toEqual(['fed', 'otp', 'mfa'])
    expect(amrOfFirstFactor({ kind: 'passkey', synced: true })).toEqual(['swk', 'mfa'])
    expect(amrOfFirstFactor({ kind: 'passkey', synced: false })).toEqual(['hwk', 'mfa'])
  })
})

describe('sessions', () => {
  const session = (extra = {}) => ({
    userId: 'u1',
    revokedAt: null,
    expiresAt: new Date(t0.getTime() + 60_000),
    createdAt: t0,
    ...extra,
  })

  it('authorize only their own subject, while neither revoked nor expired', () => {
    expect(sessionAuthorizes(session(), 'u1', t0)).toBe(true)
    expect(sessionAuthorizes(session(), 'u2', t0)).toBe(false)
    expect(sessionAuthorizes(session({ revokedAt: t0 }), 'u1', t0)).toBe(false)
    expect(sessionAuthorizes(session(), 'u1', new Date(t0.getTime() + 60_000))).toBe(false)
    expect(sessionAuthorizes(undefined, 'u1', t0)).toBe(false)
  })

  it('count as a recent sign-in up to the limit, and not after', () => {
    expect(isRecentSignIn(session(), new Date(t0.getTime() + 300_000), 300)).toBe(true)
    expect(isRecentSignIn(session(), new Date(t0.getTime() + 300_001), 300)).toBe(false)
    expect(isRecentSignIn(undefined, t0, 300)).toBe(false)
  })
})

describe('addresses', () => {
  it('compare trimmed and lower-cased', () => {
    expect(normalizeEmail('  Ada@Example.COM ')).toBe('ada@example.com')
  })
})
