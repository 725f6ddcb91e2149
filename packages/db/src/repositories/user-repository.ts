import type { NewIdentity, NewUser, UserRecord } from '../records.js'

export type UserPatch = Partial<
  Pick<
    UserRecord,
    'email' | 'name' | 'locale' | 'role' | 'isActive' | 'emailVerified' | 'passwordHash'
  >
> & { updatedAt: Date }

/**
 * Whether applying `patch` to user `id` (null: deleting it) would leave no active admin, given
 * the ids of the active admins read under a lock. The same decision on both dialects.
 */
export function removesLastAdmin(
  activeAdminIds: readonly string[],
  id: string,
  patch: UserPatch | null,
): boolean {
  if (activeAdminIds.length !== 1 || activeAdminIds[0] !== id) return false
  return patch === null || removesAdminPower(patch)
}

/** Whether the patch would take admin power away (a demotion or a deactivation). */
export function removesAdminPower(patch: UserPatch): boolean {
  return (patch.role !== undefined && patch.role !== 'admin') || patch.isActive === false
}

export interface UserListQuery {
  /** Return users created after this id (ids are UUIDv7, so id order is creation order). */
  afterId?: string | undefined
  limit: number
  /** Lower-case prefix of the email. */
  emailPrefix?: string | undefined
  role?: string | undefined
  isActive?: boolean | undefined
}

/** `%` and `_` in a user-supplied prefix are literal, not wildcards. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

export interface UserRepository {
  /** Inserts a user; throws UniqueViolationError (`users_email_key`) for a taken email. */
  create(user: NewUser): Promise<UserRecord>
  findById(id: string): Promise<UserRecord | undefined>
  /** `email` must already be normalized (trimmed, lower-cased), as it was stored. */
  findByEmail(email: string): Promise<UserRecord | undefined>
  /** Returns the updated row, or undefined when no user has that id. */
  update(id: string, patch: UserPatch): Promise<UserRecord | undefined>
  /**
   * update(), unless the patch would demote or deactivate the last active admin: then nothing
   * changes and the answer is 'last_admin'. Concurrent calls are serialized on the admin rows,
   * so two admins demoting each other cannot both succeed.
   */
  updateKeepingAnAdmin(id: string, patch: UserPatch): Promise<UserRecord | undefined | 'last_admin'>
  /** delete(), unless the user is the last active admin ('last_admin'); serialized likewise. */
  deleteKeepingAnAdmin(id: string): Promise<boolean | 'last_admin'>
  /** A page of users in creation order, filtered. */
  list(query: UserListQuery): Promise<UserRecord[]>
  /** Deletes the user and, by cascade, identities, sessions and tokens. True when a row went. */
  delete(id: string): Promise<boolean>
  /** Records a completed sign-in (last_login_at); updated_at stays, the profile did not change. */
  recordSignIn(id: string, at: Date): Promise<void>
  /** The users with these legacy ids (an import's references); any order, missing ones absent. */
  findByLegacyIds(legacyIds: readonly string[]): Promise<UserRecord[]>
  /** The users with these (normalized) emails; any order, missing ones absent. */
  findByEmails(emails: readonly string[]): Promise<UserRecord[]>
  /**
   * Inserts users and their identities in one transaction (an import's batch): all or nothing,
   * so a UniqueViolationError leaves none of them behind.
   */
  createMany(users: readonly NewUser[], identities: readonly NewIdentity[]): Promise<void>
}
