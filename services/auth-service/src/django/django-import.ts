import { type AccountRules, type ImportedAccount, normalizeEmail } from '@authpair/accounts'
import { type ProviderId, ProviderIdSchema } from '@authpair/contracts'
import {
  type Database,
  type IdentityRecord,
  newId,
  UniqueViolationError,
  type UserRecord,
} from '@authpair/db'
import { djangoHashScheme, isUnusableDjangoPassword } from '@authpair/passwords'
import { HttpProblem } from '@authpair/service-kit'
import type {
  DjangoEmailAddress,
  DjangoSocialAccount,
  DjangoSource,
  DjangoUser,
} from './django-source.js'

/**
 * Users per batch: one read of each table and one insert transaction per 1,000 users. Larger
 * batches gain little (the 100,000-user bench is within a few % from 500 to 2,000) and a
 * PostgreSQL INSERT of 1,000 users is ~12,000 parameters, well under its 65,535.
 */
export const IMPORT_BATCH_SIZE = 1000

export interface ImportReport {
  created: number
  updated: number
  unchanged: number
  skipped: { djangoId: number; username: string; reason: string }[]
  /** Imported, with something left behind (a password format we refuse, an identity). */
  notes: { djangoId: number; username: string; note: string }[]
  total: number
}

export interface ImportOptions {
  db: Database
  rules: AccountRules
  now: () => Date
  /** Report what would happen; write nothing. */
  dryRun: boolean
  batchSize?: number
  /** Called after each batch with the users seen so far. */
  onProgress?: (seen: number, total: number) => void
}

const legacyId = (id: number) => `django:${id}`

/**
 * `pnpm manage import-django`: brings a Django project's users over, or brings them up to date
 * on a re-run (found by their Django id, users.legacy_id). What carries over and what does not
 * is the README's "Moving from Django"; in short:
 *
 * - the email, normalized as ours are; an empty one, or one that two Django users share once
 *   normalized (Django allows both), skips the user with the reason: accounts are never merged;
 *   so does an address an account of ours (not imported from this user) already holds;
 * - the password hash as Django stored it, for the formats packages/passwords verifies (it is
 *   replaced by argon2id at the first sign-in); an unusable one (`!…`) or a refused format
 *   (md5, sha1, crypt…) imports as no password (noted: the user resets it);
 * - is_superuser → role admin (is_staff alone is not: Django staff rights are per permission);
 *   is_active, date_joined, last_login, first and last name (→ name);
 * - allauth's verified flag of the user's address (account_emailaddress), and its Google,
 *   GitHub and Yandex accounts (socialaccount_socialaccount) as identities.
 *
 * A re-run brings changes made in Django since, with three exceptions that protect what
 * happened here: a password set or upgraded here is kept (Django's is only copied while ours is
 * still the imported Django hash), a verified address stays verified, and identities are added,
 * never removed.
 */
export async function importDjangoUsers(
  source: DjangoSource,
  options: ImportOptions,
): Promise<ImportReport> {
  const { db } = options
  const batchSize = options.batchSize ?? IMPORT_BATCH_SIZE
  const report: ImportReport = {
    created: 0,
    updated: 0,
    unchanged: 0,
    skipped: [],
    notes: [],
    total: 0,
  }

  // Every address first: a duplicate is only known once all of them are.
  const holders = new Map<string, number[]>()
  const emails = await source.userEmails()
  report.total = emails.length
  for (const { id, email } of emails) {
    const key = normalizeEmail(email)
    if (key) holders.set(key, [...(holders.get(key) ?? []), id])
  }

  let seen = 0
  for await (const batch of source.users(batchSize)) {
    const ids = batch.map((u) => u.id)
    const [social, addresses, existing] = await Promise.all([
      source.socialAccounts(ids),
      source.emailAddresses(ids),
      db.users.findByLegacyIds(ids.map(legacyId)),
    ])
    const byLegacy = new Map(existing.map((u) => [u.legacyId, u]))
    const linked = new Map<string, IdentityRecord[]>()
    for (const identity of await db.identities.listForUsers(existing.map((u) => u.id))) {
      linked.set(identity.userId, [...(linked.get(identity.userId) ?? []), identity])
    }
    const candidates: { user: DjangoUser; account: ImportedAccount }[] = []
    for (const user of batch) {
      const skip = (reason: string) =>
        report.skipped.push({ djangoId: user.id, username: user.username, reason })
      const email = normalizeEmail(user.email)
      if (!email) {
        skip('empty email')
        continue
      }
      if (!/^[^@\s]+@[^@\s]+$/.test(email) || email.length > 254) {
        skip(`not an email address: ${email}`)
        continue
      }
      const sharing = (holders.get(email) ?? []).filter((id) => id !== user.id)
      if (sharing.length > 0) {
        skip(`duplicate email ${email} (also Django user ${sharing.join(', ')}): not merged`)
        continue
      }
      const account = toAccount(user, email, social, addresses, (note) =>
        report.notes.push({ djangoId: user.id, username: user.username, note }),
      )
      const mine = byLegacy.get(legacyId(user.id))
      if (mine) {
        const changed = await update(mine, linked.get(mine.id) ?? [], account, options, skip)
        if (changed === 'updated') report.updated++
        else if (changed === 'unchanged') report.unchanged++
      } else {
        candidates.push({ user, account })
      }
    }
    await create(candidates, options, report)
    seen += batch.length
    options.onProgress?.(seen, report.total)
  }
  return report
}

/** What our account should be, from the Django user and allauth's rows. */
function toAccount(
  user: DjangoUser,
  email: string,
  social: readonly DjangoSocialAccount[],
  addresses: readonly DjangoEmailAddress[],
  note: (text: string) => void,
): ImportedAccount {
  let passwordHash: string | null = user.password
  if (isUnusableDjangoPassword(user.password)) {
    passwordHash = null
  } else if (!djangoHashScheme(user.password)) {
    const format = user.password.split('$')[0] || 'unknown'
    note(`password hash format ${format} is not accepted: imported without a password`)
    passwordHash = null
  }
  const identities: ImportedAccount['identities'][number][] = []
  for (const row of social) {
    if (row.userId !== user.id) continue
    const provider = ProviderIdSchema.safeParse(row.provider)
    if (!provider.success) {
      note(`${row.provider} account ${row.uid} not linked: not a provider here`)
      continue
    }
    if (identities.some((i) => i.provider === provider.data)) {
      note(`second ${row.provider} account ${row.uid} not linked: one per provider here`)
      continue
    }
    identities.push({
      provider: provider.data,
      providerUserId: row.uid,
      email: providerEmail(provider.data, row.extraData),
    })
  }
  const name = `${user.firstName.trim()} ${user.lastName.trim()}`.trim()
  return {
    legacyId: legacyId(user.id),
    email,
    emailVerified: addresses.some(
      (a) => a.userId === user.id && a.verified && normalizeEmail(a.email) === email,
    ),
    passwordHash,
    name: name || null,
    role: user.isSuperuser ? 'admin' : 'user',
    isActive: user.isActive,
    createdAt: user.dateJoined,
    lastLoginAt: user.lastLogin,
    identities,
  }
}

/** The address a provider gave, as allauth kept its profile (Yandex names it default_email). */
function providerEmail(provider: ProviderId, data: Record<string, unknown>): string | null {
  const value = provider === 'yandex' ? data.default_email : data.email
  return typeof value === 'string' && value.includes('@') ? normalizeEmail(value) : null
}

/**
 * Inserts a batch's new accounts at once. An address already held here, or an identity already
 * linked to another account, refuses the whole batch: then the batch is retried one account at
 * a time, and only the one refused is skipped (or loses the identity).
 */
async function create(
  candidates: { user: DjangoUser; account: ImportedAccount }[],
  options: ImportOptions,
  report: ImportReport,
): Promise<void> {
  if (candidates.length === 0) return
  const taken = new Set(
    (await options.db.users.findByEmails(candidates.map((c) => c.account.email))).map(
      (u) => u.email,
    ),
  )
  const fresh = candidates.filter(({ user, account }) => {
    if (!taken.has(account.email)) return true
    report.skipped.push({
      djangoId: user.id,
      username: user.username,
      reason: `email ${account.email} belongs to an account here not imported from this user: not merged`,
    })
    return false
  })
  if (options.dryRun) {
    report.created += fresh.length
    return
  }
  try {
    await options.rules.createImportedUsers(fresh.map((c) => c.account))
    report.created += fresh.length
    return
  } catch (error) {
    if (!(error instanceof UniqueViolationError)) throw error
  }
  for (const { user, account } of fresh) {
    try {
      await createOne(account, options)
      report.created++
    } catch (error) {
      if (!(error instanceof UniqueViolationError)) throw error
      report.skipped.push({
        djangoId: user.id,
        username: user.username,
        reason: `refused by ${error.constraint ?? 'a unique constraint'} (a concurrent sign-up?): not merged`,
      })
    }
  }
}

/** One account; its identities are dropped (and noted) if one is linked elsewhere already. */
async function createOne(account: ImportedAccount, options: ImportOptions): Promise<void> {
  try {
    await options.rules.createImportedUsers([account])
  } catch (error) {
    if (
      error instanceof UniqueViolationError &&
      error.constraint === 'identities_provider_user_key'
    ) {
      const linked = []
      for (const identity of account.identities) {
        const other = await options.db.identities.findByProviderUser(
          identity.provider,
          identity.providerUserId,
        )
        if (!other) linked.push(identity)
      }
      await options.rules.createImportedUsers([{ ...account, identities: linked }])
      return
    }
    throw error
  }
}

/** Brings an imported account up to date; 'unchanged' when Django says nothing new. */
async function update(
  mine: UserRecord,
  identities: readonly IdentityRecord[],
  account: ImportedAccount,
  options: ImportOptions,
  skip: (reason: string) => void,
): Promise<'updated' | 'unchanged' | 'skipped'> {
  const { db, rules } = options
  const stillImportedHash = mine.passwordHash !== null && djangoHashScheme(mine.passwordHash)
  const lastLoginAt =
    account.lastLoginAt &&
    (!mine.lastLoginAt || account.lastLoginAt.getTime() > mine.lastLoginAt.getTime())
      ? account.lastLoginAt
      : undefined
  const stored: Partial<Pick<UserRecord, 'email' | 'passwordHash' | 'emailVerified'>> = {}
  if (account.email !== mine.email) {
    stored.email = account.email
    stored.emailVerified = account.emailVerified
  } else if (account.emailVerified && !mine.emailVerified) {
    stored.emailVerified = true
  }
  if (stillImportedHash && account.passwordHash !== mine.passwordHash) {
    stored.passwordHash = account.passwordHash
  }
  const ruled: Parameters<AccountRules['updateAccount']>[1] = {}
  if (account.role !== mine.role) ruled.role = account.role
  if (account.isActive !== mine.isActive) ruled.isActive = account.isActive
  if (account.name !== mine.name) ruled.name = account.name
  // Added, never removed or replaced: one identity per provider, and one linked here stays.
  const newIdentities = account.identities.filter(
    (i) => !identities.some((have) => have.provider === i.provider),
  )
  const anything =
    Object.keys(stored).length > 0 ||
    Object.keys(ruled).length > 0 ||
    lastLoginAt !== undefined ||
    newIdentities.length > 0
  if (!anything) return 'unchanged'
  if (options.dryRun) return 'updated'
  try {
    if (Object.keys(stored).length > 0) {
      await db.users.update(mine.id, { ...stored, updatedAt: options.now() })
    }
    // Role and activity through the rules: never the last active admin, and a deactivated
    // account's sessions end at once.
    if (Object.keys(ruled).length > 0) await rules.updateAccount(mine.id, ruled)
    if (lastLoginAt) await db.users.recordSignIn(mine.id, lastLoginAt)
    for (const identity of newIdentities) {
      if (await db.identities.findByProviderUser(identity.provider, identity.providerUserId)) {
        continue
      }
      await db.identities.create({
        id: newId(),
        userId: mine.id,
        ...identity,
        createdAt: options.now(),
      })
    }
  } catch (error) {
    if (error instanceof HttpProblem || error instanceof UniqueViolationError) {
      skip(
        `not updated: ${error instanceof HttpProblem ? error.message : `${error.constraint} refused it`}`,
      )
      return 'skipped'
    }
    throw error
  }
  return 'updated'
}
