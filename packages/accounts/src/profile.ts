import type { AdminUser, Profile, ProviderId, Role } from '@authpair/contracts'
import type { Database, UserRecord } from '@authpair/db'

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

/**
 * The profile with its linked providers and whether the authenticator app is on (two reads; the
 * profile's `mfa_enabled` is the app's, so passkeys are not counted here).
 */
export async function profileOf(db: Database, user: UserRecord): Promise<Profile> {
  const [identities, totp] = await Promise.all([
    db.identities.listForUser(user.id),
    db.secondFactors.findTotp(user.id),
  ])
  return toProfile(
    user,
    identities.map((i) => i.provider as ProviderId),
    totp?.confirmedAt != null,
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
