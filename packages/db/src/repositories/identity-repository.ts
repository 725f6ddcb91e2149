import type { IdentityRecord, NewIdentity } from '../records.js'

export interface IdentityRepository {
  /** The user's linked provider identities, oldest first. */
  listForUser(userId: string): Promise<IdentityRecord[]>
  /** The identities of all these users (an import's batch); any order. */
  listForUsers(userIds: readonly string[]): Promise<IdentityRecord[]>
  findByProviderUser(provider: string, providerUserId: string): Promise<IdentityRecord | undefined>
  /** Unlinks a provider from a user; true when a row went. */
  delete(userId: string, provider: string): Promise<boolean>
  /** Unlinks every provider of a user; how many went. */
  deleteAllForUser(userId: string): Promise<number>
  /** Links a provider identity; UniqueViolationError when (provider, provider_user_id) is taken. */
  create(identity: NewIdentity): Promise<IdentityRecord>
}
