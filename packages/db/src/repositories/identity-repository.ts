import type { IdentityRecord, NewIdentity } from '../records.js'

export interface IdentityRepository {
  /** The user's linked provider identities, oldest first. */
  listForUser(userId: string): Promise<IdentityRecord[]>
  /** Links a provider identity; UniqueViolationError when (provider, provider_user_id) is taken. */
  create(identity: NewIdentity): Promise<IdentityRecord>
}
