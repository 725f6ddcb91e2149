import type { Profile, ProviderId, Role } from '@authpair/contracts'
import type { UserRecord } from './records.js'

/** A user row as the API shows it: never the password hash, never is_active to the user. */
export function toProfile(user: UserRecord, providers: readonly ProviderId[] = []): Profile {
  return {
    id: user.id,
    email: user.email,
    email_verified: user.emailVerified,
    name: user.name,
    locale: user.locale,
    role: user.role as Role,
    created_at: user.createdAt.toISOString(),
    providers: [...providers],
  }
}
