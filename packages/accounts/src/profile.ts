import type { AdminUser, Profile, ProviderId, Role } from '@authpair/contracts'
import type { Database, UserRecord } from '@authpair/db'
import { secondFactorsOf } from './second-factor-policy.js'

/** A user row as the API shows it: never the password hash, never is_active to the user. */
export function toProfile(
  user: UserRecord,
  providers: readonly ProviderId[] = [],
  mfaEnabled = false,
): Profile {
  return {
    id: user.id,
    email: user.email,
    email_verified: user.emailVerified,
    name: user.name,
    locale: user.locale,
    role: user.role as Role,
    created_at: user.createdAt.toISOString(),
    providers: [...providers],
    mfa_enabled: mfaEnabled,
  }
}

/** The profile with its linked providers and whether a second factor is on (two reads). */
export async function profileOf(db: Database, user: UserRecord): Promise<Profile> {
  const [identities, factors] = await Promise.all([
    db.identities.listForUser(user.id),
    secondFactorsOf(db, user.id),
  ])
  return toProfile(
    user,
    identities.map((i) => i.provider as ProviderId),
    factors.totp,
  )
}

/**
 * What an admin sees of a user: the profile, whether it is active, when it last changed and
 * when it last signed in.
 */
export async function adminViewOf(db: Database, user: UserRecord): Promise<AdminUser> {
  return {
    ...(await profileOf(db, user)),
    is_active: user.isActive,
    updated_at: user.updatedAt.toISOString(),
    last_login_at: user.lastLoginAt?.toISOString() ?? null,
  }
}
