import type { ProviderId } from '@authpair/contracts'
import {
  type AuditClient,
  type Database,
  isSessionLive,
  type NewIdentity,
  type NewUser,
  newId,
  type SessionRecord,
  UniqueViolationError,
  type UserPatch,
  type UserRecord,
} from '@authpair/db'
import type { PasswordHasher } from '@authpair/passwords'
import { passwordProblem } from '@authpair/passwords'
import { HttpProblem, type RateLimit } from '@authpair/service-kit'
import type { AuditTrail } from './audit-trail.js'
import type { Clock } from './clock.js'
import { normalizeEmail } from './email.js'

export interface AccountRulesDeps {
  db: Database
  hasher: PasswordHasher
  audit: AuditTrail
  now: Clock
  /** Wrong current passwords per signed-in user (the same count in both services). */
  passwordConfirmLimit: RateLimit
}

export interface NewAccount {
  /** Null for an account a provider made without vouching for an address. */
  email: string | null
  password?: string | undefined
  name?: string | null | undefined
  role?: 'user' | 'admin'
  emailVerified?: boolean
}

/**
 * An account brought over from another system (`pnpm manage import-django`): its password hash
 * is kept as that system stored it (verified and replaced at its first sign-in), and its
 * history (joined, last signed in) comes along.
 */
export interface ImportedAccount {
  /** The reference a re-run finds it by, e.g. `django:42`. */
  legacyId: string
  email: string
  emailVerified: boolean
  /** The source's hash as stored, or null (unusable, or a format we do not accept). */
  passwordHash: string | null
  name: string | null
  role: 'user' | 'admin'
  isActive: boolean
  createdAt: Date
  lastLoginAt: Date | null
  identities: readonly { provider: ProviderId; providerUserId: string; email: string | null }[]
}

const lastAdmin = () =>
  new HttpProblem(
    409,
    'last_admin',
    'This is the last active admin: make another admin first, so the admin API stays reachable.',
  )

/**
 * The rules about accounts both services apply, each written once: how an account is made and
 * removed, what an admin may change, whether a session still authorizes its bearer, and the
 * check of a signed-in user's current password. Routes translate HTTP to these calls.
 */
export class AccountRules {
  constructor(private readonly deps: AccountRulesDeps) {}

  /**
   * Makes an account: the password rules and hash when there is a password, the insert, a
   * taken address as 409 email_taken. Every way an account comes to be goes through here.
   */
  async createUser(input: NewAccount): Promise<UserRecord> {
    const email = input.email === null ? null : normalizeEmail(input.email)
    if (input.password !== undefined) this.assertAcceptablePassword(input.password, email)
    const now = this.deps.now()
    try {
      return await this.deps.db.users.create({
        id: newId(),
        email,
        emailVerified: email !== null && (input.emailVerified ?? false),
        passwordHash:
          input.password === undefined ? null : await this.deps.hasher.hash(input.password),
        name: input.name?.slice(0, 200) ?? null,
        role: input.role ?? 'user',
        createdAt: now,
        updatedAt: now,
      })
    } catch (error) {
      if (error instanceof UniqueViolationError && error.constraint === 'users_email_key') {
        throw new HttpProblem(409, 'email_taken', 'An account with this email already exists.')
      }
      throw error
    }
  }

  /**
   * Makes imported accounts, a batch at once (all or none: a UniqueViolationError names the
   * constraint, and the caller retries one by one to find the row): the same normalization as
   * createUser, ids stamped with the account's own creation time so they keep their place in
   * creation order. No password rules: a hash is not a password, and the user chose it under
   * the source's rules; it is replaced at the first sign-in.
   */
  async createImportedUsers(accounts: readonly ImportedAccount[]): Promise<UserRecord['id'][]> {
    const now = this.deps.now()
    const users: NewUser[] = []
    const identities: NewIdentity[] = []
    for (const account of accounts) {
      const id = newId(account.createdAt)
      users.push({
        id,
        email: normalizeEmail(account.email),
        emailVerified: account.emailVerified,
        passwordHash: account.passwordHash,
        name: account.name?.slice(0, 200) ?? null,
        role: account.role,
        isActive: account.isActive,
        createdAt: account.createdAt,
        updatedAt: now,
        lastLoginAt: account.lastLoginAt,
        legacyId: account.legacyId,
      })
      for (const identity of account.identities) {
        identities.push({ id: newId(), userId: id, ...identity, createdAt: now })
      }
    }
    await this.deps.db.users.createMany(users, identities)
    return users.map((u) => u.id)
  }

  /** 400 password_rejected unless the password meets the rules (NIST SP 800-63B). */
  assertAcceptablePassword(password: string, email: string | null, field = 'password'): void {
    const problem = passwordProblem(password, { email: email ?? '' })
    if (problem) {
      throw new HttpProblem(400, 'password_rejected', `The password ${problem}.`, {
        errors: [{ path: `body.${field}`, message: problem }],
      })
    }
  }

  /**
   * An admin's change to an account (role, activity, name, verification): never takes the last
   * active admin away (409 last_admin); deactivating ends every session at once. 404 for an
   * unknown id.
   */
  async updateAccount(
    userId: string,
    change: Omit<UserPatch, 'updatedAt' | 'passwordHash' | 'email'>,
  ): Promise<UserRecord> {
    const now = this.deps.now()
    const updated = await this.deps.db.users.updateKeepingAnAdmin(userId, {
      ...change,
      updatedAt: now,
    })
    if (updated === 'last_admin') throw lastAdmin()
    if (!updated) throw new HttpProblem(404, 'not_found', 'No such user.')
    if (change.isActive === false) {
      await this.deps.db.sessions.revokeAllForUser(userId, { now, reason: 'deactivated' })
      await this.userDisabled(userId, now)
    }
    return updated
  }

  /**
   * Removes an account and, by cascade, its identities, sessions and tokens, so every token of
   * it fails from now on; never the last active admin (409 last_admin). 404 for an unknown id.
   * Audited as user_deleted, by `actorId` when an admin did it.
   */
  async deleteAccount(
    userId: string,
    client: AuditClient,
    actorId: string | null = null,
  ): Promise<void> {
    const deleted = await this.deps.db.users.deleteKeepingAnAdmin(userId)
    if (deleted === 'last_admin') throw lastAdmin()
    if (!deleted) throw new HttpProblem(404, 'not_found', 'No such user.')
    await this.userDisabled(userId, this.deps.now())
    await this.deps.audit.record('user_deleted', { userId, actorId, client })
  }

  /**
   * Tells the revocation feed that no token of this user issued until `at` is valid any more
   * (deactivated, or deleted: a deleted account's sessions go by cascade, without rows of their
   * own), so verifiers that never read our database refuse them too.
   */
  private userDisabled(userId: string, at: Date): Promise<void> {
    return this.deps.db.revocations.append([
      { kind: 'user', subjectId: userId, userId, revokedAt: at },
    ])
  }

  /**
   * Checks a signed-in user's current password (password change, account deletion), limited
   * per user so a stolen access token is not an online guessing oracle: 429 past the limit,
   * even for the right password. An account without a password costs the same work.
   */
  async confirmCurrentPassword(user: UserRecord, password: string): Promise<boolean> {
    const limit = this.deps.passwordConfirmLimit
    await limit.assertUnder(user.id)
    let valid = false
    if (user.passwordHash) {
      valid = (await this.deps.hasher.verify(user.passwordHash, password)).valid
    } else {
      await this.deps.hasher.burn(password)
    }
    if (valid) await limit.clear(user.id)
    else await limit.recordFailure(user.id)
    return valid
  }
}

/**
 * Whether a session was signed in to at most `maxAgeSeconds` ago: what a sensitive change asks
 * for instead of the password (deleting the account; later, changing a second factor), so a
 * stolen long-lived session or refresh token is not enough.
 */
export function isRecentSignIn(
  session: Pick<SessionRecord, 'createdAt'> | undefined,
  now: Date,
  maxAgeSeconds: number,
): boolean {
  return (
    session !== undefined && now.getTime() - session.createdAt.getTime() <= maxAgeSeconds * 1000
  )
}

/**
 * Whether a session still authorizes a bearer token that names it: live (isSessionLive, from
 * the data layer, where refresh rotation uses it too) and the token's own subject's.
 */
export function sessionAuthorizes(
  session: Pick<SessionRecord, 'userId' | 'revokedAt' | 'expiresAt'> | undefined,
  userId: string,
  now: Date,
): boolean {
  return session !== undefined && session.userId === userId && isSessionLive(session, now)
}
