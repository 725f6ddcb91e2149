import type { MfaMethod, ProviderId } from '@authpair/contracts'
import type { UserRecord } from '@authpair/db'
import { HttpProblem } from '@authpair/service-kit'

/** How the user has proven who they are so far. */
export type FirstFactor =
  | { kind: 'password' }
  | { kind: 'provider'; provider: ProviderId }
  /**
   * A passkey whose assertion verified with user verification (the server requires it): a
   * possession factor unlocked by a biometric or PIN, so two factors at once. `synced`: backup
   * eligible (a multi-device passkey, kept in software by a password manager).
   */
  | { kind: 'passkey'; synced: boolean }

/**
 * What a sign-in needs after its first factor: complete, refused, or a second factor (the
 * account has one on) with the methods it may use. Adding a factor touches these rules and
 * the one place that acts on the answer (the auth-service's completeSignIn), not every
 * sign-in route.
 */
export type SignInStep =
  | { kind: 'complete' }
  | { kind: 'refused'; problem: HttpProblem }
  | { kind: 'second_factor'; methods: MfaMethod[] }

export interface SignInPolicy {
  /** REQUIRE_EMAIL_VERIFICATION: an unverified address may not sign in, whichever way. */
  requireEmailVerification: boolean
}

/** Which second factors an account has on (secondFactorsOf reads them). */
export interface SecondFactorFacts {
  /** A confirmed authenticator app; its recovery codes stand in for it. */
  totp: boolean
  /** Passkeys registered: each is a factor on its own, used to sign in, never as a step. */
  passkeys: number
}

/**
 * The next step of a sign-in for this account, whichever first factor it used (password,
 * provider): the one place these rules live. The account's own refusals come first, so an
 * mfa_token is never handed out for an account that could not sign in anyway.
 */
export function nextSignInStep(
  user: UserRecord,
  factor: FirstFactor,
  policy: SignInPolicy,
  factors: SecondFactorFacts,
): SignInStep {
  if (!user.isActive) {
    return {
      kind: 'refused',
      problem: new HttpProblem(403, 'account_disabled', 'This account is disabled.'),
    }
  }
  if (policy.requireEmailVerification && !user.emailVerified) {
    return {
      kind: 'refused',
      problem: new HttpProblem(
        403,
        'email_not_verified',
        'Verify your email address before signing in.',
      ),
    }
  }
  // A passkey sign-in already is multi-factor (possession plus user verification): asking it
  // for the authenticator app too would add nothing (design.md, Passkeys).
  if (factor.kind === 'passkey') return { kind: 'complete' }
  if (factors.totp) return { kind: 'second_factor', methods: ['totp', 'recovery_code'] }
  return { kind: 'complete' }
}

/**
 * RFC 8176 authentication method references of a first factor: `pwd` for a password; `fed`
 * for a provider sign-in (RFC 8176 has no value for federation; `fed` is the one design.md
 * names, and what the provider itself checked is not ours to claim).
 */
export function amrOfFirstFactor(factor: FirstFactor): string[] {
  if (factor.kind === 'passkey') return amrOfPasskey(factor.synced)
  return factor.kind === 'password' ? ['pwd'] : ['fed']
}

/**
 * A passkey sign-in (RFC 8176 §2): `hwk` for a device-bound key, `swk` for a synced one (backup
 * eligible: its private key lives in a password manager's software), plus `mfa`, since the
 * server requires user verification (a biometric or PIN unlocked the key): what
 * adminAccessProblem accepts as a second factor used.
 */
export function amrOfPasskey(synced: boolean): string[] {
  return [synced ? 'swk' : 'hwk', 'mfa']
}

/**
 * After a second factor: `otp` (RFC 8176 §2, a one-time password: a TOTP code or a single-use
 * recovery code) and `mfa` (two factors were used), after the first factor's values.
 */
export function amrWithSecondFactor(first: readonly string[]): string[] {
  return [...new Set([...first, 'otp', 'mfa'])]
}
