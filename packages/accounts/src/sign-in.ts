import type { MfaMethod, ProviderId } from '@authpair/contracts'
import type { UserRecord } from '@authpair/db'
import { HttpProblem } from '@authpair/service-kit'

/** How the user has proven who they are so far. */
export type FirstFactor = { kind: 'password' } | { kind: 'provider'; provider: ProviderId }

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
}

/**
 * The next step of a sign-in for this account, whichever first factor it used (password,
 * provider): the one place these rules live. The account's own refusals come first, so an
 * mfa_token is never handed out for an account that could not sign in anyway.
 */
export function nextSignInStep(
  user: UserRecord,
  _factor: FirstFactor,
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
  if (factors.totp) return { kind: 'second_factor', methods: ['totp', 'recovery_code'] }
  return { kind: 'complete' }
}

/**
 * RFC 8176 authentication method references of a first factor: `pwd` for a password; `fed`
 * for a provider sign-in (RFC 8176 has no value for federation; `fed` is the one design.md
 * names, and what the provider itself checked is not ours to claim).
 */
export function amrOfFirstFactor(factor: FirstFactor): string[] {
  return factor.kind === 'password' ? ['pwd'] : ['fed']
}

/**
 * After a second factor: `otp` (RFC 8176 §2, a one-time password: a TOTP code or a single-use
 * recovery code) and `mfa` (two factors were used), after the first factor's values.
 */
export function amrWithSecondFactor(first: readonly string[]): string[] {
  return [...new Set([...first, 'otp', 'mfa'])]
}
