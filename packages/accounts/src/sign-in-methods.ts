import type { Database, UserRecord } from '@authpair/db'
import { HttpProblem } from '@authpair/service-kit'

/** The ways an account can sign in on its own: a password, linked providers, passkeys. */
export interface SignInMethods {
  password: boolean
  identities: number
  passkeys: number
}

export async function signInMethodsOf(
  db: Database,
  user: Pick<UserRecord, 'id' | 'passwordHash'>,
): Promise<SignInMethods> {
  const [identities, passkeys] = await Promise.all([
    db.identities.listForUser(user.id),
    db.passkeys.countForUser(user.id),
  ])
  return { password: user.passwordHash !== null, identities: identities.length, passkeys }
}

/**
 * "The last way to sign in cannot be removed" (unlinking a provider, deleting a passkey): 409
 * `last_sign_in_method` when removing one method would leave the account none, else undefined.
 * A password reset can always add a password back, but only for an account with an address;
 * the rule stays simple and refuses either way.
 */
export function lastSignInMethodProblem(methods: SignInMethods): HttpProblem | undefined {
  const count = (methods.password ? 1 : 0) + methods.identities + methods.passkeys
  if (count > 1) return undefined
  return new HttpProblem(
    409,
    'last_sign_in_method',
    'This is your only way to sign in: add another (a password, a provider or a passkey) first.',
  )
}
