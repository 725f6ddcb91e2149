import { readFileSync } from 'node:fs'
import BetterSqlite3 from 'better-sqlite3'
import postgres from 'postgres'

/** One row of Django's auth_user, as the import reads it (the columns it carries over). */
export interface DjangoUser {
  id: number
  username: string
  /** The encoded hash (`<algorithm>$…`), `!…` when unusable. */
  password: string
  email: string
  firstName: string
  lastName: string
  isSuperuser: boolean
  isActive: boolean
  dateJoined: Date
  lastLogin: Date | null
}

/** django-allauth's socialaccount_socialaccount: a provider account linked to a user. */
export interface DjangoSocialAccount {
  userId: number
  provider: string
  uid: string
  /** The provider's profile as allauth kept it (JSON), for the address it gave. */
  extraData: Record<string, unknown>
}

/** django-allauth's account_emailaddress: whether an address of the user was verified. */
export interface DjangoEmailAddress {
  userId: number
  email: string
  verified: boolean
}

/**
 * A Django project's users, read without Django: from its PostgreSQL database, its SQLite file,
 * or `manage.py dumpdata` JSON. allauth's tables are optional (`hasAllauth`).
 */
export interface DjangoSource {
  /** What it reads, for the summary (a URL without its password). */
  readonly description: string
  /** Every user's id and email (the duplicate check needs all of them before the first batch). */
  userEmails(): Promise<{ id: number; email: string }[]>
  /** The users in id order, `size` at a time. */
  users(size: number): AsyncIterable<DjangoUser[]>
  /** allauth's rows for these users; empty when allauth's tables are not there. */
  socialAccounts(userIds: readonly number[]): Promise<DjangoSocialAccount[]>
  emailAddresses(userIds: readonly number[]): Promise<DjangoEmailAddress[]>
  close(): Promise<void>
}

/** `--from`: a postgres:// URL, a dumpdata .json file, or else a SQLite file. */
export function openDjangoSource(from: string): DjangoSource {
  if (/^postgres(ql)?:\/\//.test(from)) return postgresSource(from)
  if (from.endsWith('.json')) return dumpdataSource(from)
  return sqliteSource(from)
}

const USER_COLUMNS =
  'id, username, password, email, first_name, last_name, is_superuser, is_active, date_joined, last_login'

interface UserRow {
  id: number
  username: string
  password: string
  email: string | null
  first_name: string | null
  last_name: string | null
  is_superuser: boolean | number
  is_active: boolean | number
  date_joined: Date | string
  last_login: Date | string | null
}

function toUser(row: UserRow): DjangoUser {
  return {
    id: Number(row.id),
    username: row.username,
    password: row.password ?? '',
    email: row.email ?? '',
    firstName: row.first_name ?? '',
    lastName: row.last_name ?? '',
    isSuperuser: Boolean(row.is_superuser),
    isActive: Boolean(row.is_active),
    dateJoined: djangoTime(row.date_joined),
    lastLogin: row.last_login === null ? null : djangoTime(row.last_login),
  }
}

/**
 * A datetime as Django stored it: a Date from PostgreSQL (timestamptz); text on SQLite
 * (`2024-01-02 03:04:05.123456`, UTC under USE_TZ) and in dumpdata (ISO 8601, `Z` or an
 * offset). Text without a zone is taken as UTC: a project with USE_TZ=False stored local times,
 * and the import cannot know its zone.
 */
export function djangoTime(value: Date | string): Date {
  if (value instanceof Date) return value
  const iso = value.trim().replace(' ', 'T')
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`
  const date = new Date(zoned)
  if (Number.isNaN(date.getTime())) throw new Error(`not a Django datetime: ${value}`)
  return date
}

function extraData(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') {
    try {
      return extraData(JSON.parse(value))
    } catch {
      return {}
    }
  }
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {}
}

function postgresSource(url: string): DjangoSource {
  const sql = postgres(url, { max: 1, connect_timeout: 10, onnotice: () => {} })
  let allauth: Promise<boolean> | undefined
  const hasAllauth = () => {
    allauth ??= sql<{ ok: boolean }[]>`
      select to_regclass('socialaccount_socialaccount') is not null
         and to_regclass('account_emailaddress') is not null as ok`.then((r) => r[0]?.ok === true)
    return allauth
  }
  const redacted = new URL(url)
  if (redacted.password) redacted.password = '***'
  return {
    description: redacted.toString(),
    async userEmails() {
      const rows = await sql<{ id: number; email: string | null }[]>`
        select id, email from auth_user order by id`
      return rows.map((r) => ({ id: Number(r.id), email: r.email ?? '' }))
    },
    async *users(size) {
      for await (const rows of sql
        .unsafe<UserRow[]>(`select ${USER_COLUMNS} from auth_user order by id`)
        .cursor(size)) {
        yield rows.map(toUser)
      }
    },
    async socialAccounts(userIds) {
      if (userIds.length === 0 || !(await hasAllauth())) return []
      const rows = await sql<
        { user_id: number; provider: string; uid: string; extra_data: unknown }[]
      >`
        select user_id, provider, uid, extra_data from socialaccount_socialaccount
        where user_id in ${sql([...userIds])} order by id`
      return rows.map((r) => ({
        userId: Number(r.user_id),
        provider: r.provider,
        uid: r.uid,
        extraData: extraData(r.extra_data),
      }))
    },
    async emailAddresses(userIds) {
      if (userIds.length === 0 || !(await hasAllauth())) return []
      const rows = await sql<{ user_id: number; email: string; verified: boolean }[]>`
        select user_id, email, verified from account_emailaddress
        where user_id in ${sql([...userIds])}`
      return rows.map((r) => ({ userId: Number(r.user_id), email: r.email, verified: r.verified }))
    },
    close: () => sql.end({ timeout: 5 }),
  }
}

function sqliteSource(path: string): DjangoSource {
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true })
  const table = (name: string) =>
    db.prepare(`select 1 from sqlite_master where type = 'table' and name = ?`).get(name) !==
    undefined
  const hasAllauth = table('socialaccount_socialaccount') && table('account_emailaddress')
  const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ')
  return {
    description: path,
    async userEmails() {
      return (
        db.prepare('select id, email from auth_user order by id').all() as {
          id: number
          email: string | null
        }[]
      ).map((r) => ({ id: r.id, email: r.email ?? '' }))
    },
    async *users(size) {
      // Keyset pages rather than one open iterator: the import writes between batches, and a
      // reader held open across them would pin the source's snapshot for the whole run.
      const page = db.prepare(
        `select ${USER_COLUMNS} from auth_user where id > ? order by id limit ?`,
      )
      let after = Number.MIN_SAFE_INTEGER
      for (;;) {
        const rows = page.all(after, size) as UserRow[]
        if (rows.length === 0) return
        after = Number(rows[rows.length - 1]?.id)
        yield rows.map(toUser)
      }
    },
    async socialAccounts(userIds) {
      if (userIds.length === 0 || !hasAllauth) return []
      const rows = db
        .prepare(
          `select user_id, provider, uid, extra_data from socialaccount_socialaccount
           where user_id in (${placeholders(userIds.length)}) order by id`,
        )
        .all(...userIds) as {
        user_id: number
        provider: string
        uid: string
        extra_data: unknown
      }[]
      return rows.map((r) => ({
        userId: r.user_id,
        provider: r.provider,
        uid: r.uid,
        extraData: extraData(r.extra_data),
      }))
    },
    async emailAddresses(userIds) {
      if (userIds.length === 0 || !hasAllauth) return []
      const rows = db
        .prepare(
          `select user_id, email, verified from account_emailaddress
           where user_id in (${placeholders(userIds.length)})`,
        )
        .all(...userIds) as { user_id: number; email: string; verified: number }[]
      return rows.map((r) => ({ userId: r.user_id, email: r.email, verified: r.verified === 1 }))
    },
    async close() {
      db.close()
    },
  }
}

interface DumpRecord {
  model: string
  pk: number
  fields: Record<string, unknown>
}

/**
 * `manage.py dumpdata auth.user socialaccount.socialaccount account.emailaddress`: one JSON
 * array, read whole (100,000 users are about 40 MB of it).
 */
function dumpdataSource(path: string): DjangoSource {
  const records = JSON.parse(readFileSync(path, 'utf8')) as DumpRecord[]
  if (!Array.isArray(records)) throw new Error(`${path} is not dumpdata output (a JSON array)`)
  const of = (model: string) => records.filter((r) => r.model === model)
  const users = of('auth.user')
    .map((r) => toUser({ id: r.pk, ...(r.fields as Omit<UserRow, 'id'>) }))
    .sort((a, b) => a.id - b.id)
  const byUser = <T extends { userId: number }>(rows: T[]) => {
    const map = new Map<number, T[]>()
    for (const row of rows) map.set(row.userId, [...(map.get(row.userId) ?? []), row])
    return (ids: readonly number[]) => ids.flatMap((id) => map.get(id) ?? [])
  }
  const social = byUser(
    of('socialaccount.socialaccount').map((r) => ({
      userId: Number(r.fields.user),
      provider: String(r.fields.provider),
      uid: String(r.fields.uid),
      extraData: extraData(r.fields.extra_data),
    })),
  )
  const addresses = byUser(
    of('account.emailaddress').map((r) => ({
      userId: Number(r.fields.user),
      email: String(r.fields.email),
      verified: r.fields.verified === true,
    })),
  )
  return {
    description: path,
    async userEmails() {
      return users.map((u) => ({ id: u.id, email: u.email }))
    },
    async *users(size) {
      for (let i = 0; i < users.length; i += size) yield users.slice(i, i + size)
    },
    async socialAccounts(userIds) {
      return social(userIds)
    },
    async emailAddresses(userIds) {
      return addresses(userIds)
    },
    async close() {},
  }
}
