import type { Role } from '@authpair/contracts'
import type { Database, UserRecord } from '@authpair/db'
import { HttpProblem } from '@authpair/service-kit'
import type { SecondFactorFacts } from './sign-in.js'

/** Which second factors the account has on: what sign-in, profiles and the admin policy read. */
export async function secondFactorsOf(db: Database, userId: string): Promise<SecondFactorFacts> {
  const [totp, passkeys] = await Promise.all([
    db.secondFactors.findTotp(userId),
    db.passkeys.countForUser(userId),
  ])
  return { totp: totp?.confirmedAt != null, passkeys }
}

/** MFA_REQUIRED_ROLES: the roles that must use a second factor where the policy applies. */
export interface SecondFactorPolicy {
  requiredRoles: readonly Role[]
}

/**
 * Who may use the admin API (/admin/* in both services), as the database says now: an active
 * account of role admin; and, when its role is one of MFA_REQUIRED_ROLES, one with a second
 * factor on (403 `mfa_enrollment_required` until it enrols, so the first admin can still reach
 * the enrolment routes, which are not under /admin/) whose token was issued after that factor
 * was used (`mfa` in its `amr`; otherwise 403 `mfa_required`: sign in again, with the factor).
 * Returns the problem to answer, or undefined to let the request through.
 */
export async function adminAccessProblem(
  db: Database,
  account: Pick<UserRecord, 'id' | 'role' | 'isActive'> | undefined,
  token: { amr: readonly string[] },
  policy: SecondFactorPolicy,
): Promise<HttpProblem | undefined> {
  if (account?.role !== 'admin' || !account.isActive) {
    return new HttpProblem(403, 'forbidden', 'This needs the admin role.')
  }
  if (!policy.requiredRoles.includes(account.role as Role)) return undefined
  const factors = await secondFactorsOf(db, account.id)
  if (!factors.totp && factors.passkeys === 0) {
    return new HttpProblem(
      403,
      'mfa_enrollment_required',
      'Your role must use a second factor: set up an authenticator app (POST /auth/mfa/totp/setup) or a passkey (POST /auth/passkeys/register/options), then sign in again with it.',
    )
  }
  if (!token.amr.includes('mfa')) {
    return new HttpProblem(
      403,
      'mfa_required',
      'This token was issued without your second factor: sign in again and finish with it.',
    )
  }
  return undefined
}
