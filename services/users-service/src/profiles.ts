import type { AdminUser, Profile, ProviderId } from '@authpair/contracts'
import { type Database, toProfile, type UserRecord } from '@authpair/db'

/** The profile with its linked providers (one read of identities). */
export async function profileOf(db: Database, user: UserRecord): Promise<Profile> {
  const identities = await db.identities.listForUser(user.id)
  return toProfile(
    user,
    identities.map((i) => i.provider as ProviderId),
  )
}

export async function adminViewOf(db: Database, user: UserRecord): Promise<AdminUser> {
  return {
    ...(await profileOf(db, user)),
    is_active: user.isActive,
    updated_at: user.updatedAt.toISOString(),
  }
}
