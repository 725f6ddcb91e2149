import type { ProviderId } from '@authpair/contracts'
import type { UserRecord } from '@authpair/db'
import { HttpProblem } from '@authpair/service-kit'

/** How the user has proven who they are so far. */
export type FirstFactor = { kind: 'password' } | { kind: 'provider'; provider: ProviderId }

/**
 * What a sign-in needs after its first factor. Today a sign-in is complete or refused; the
 * second factors (TOTP, passkeys) add their step here, as another kind, so that adding one
 * touches these rules and the one place that acts on the answer (the auth-service's
 * completeSignIn), not every sign-in route.
 */
export type SignInStep = { kind: 'complete' } | { kind: 'refused'; problem: HttpProblem }

export interface SignInPolicy {
  /** REQUIRE_EMAIL_VERIFICATION: an unverified address may not sign in, whichever way. */
  requireEmailVerification: boolean
}

/**
 * The next step of a sign-in for this account, whichever first factor it used (password,
 * provider): the one place these rules live.
 */
export function nextSignInStep(
  user: UserRecord,
  _factor: FirstFactor,
  policy: SignInPolicy,
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
  return { kind: 'complete' }
}
