import { and, asc, eq, getTableColumns, inArray, ne, or, type SQL, sql } from 'drizzle-orm'
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type postgres from 'postgres'
import type { NewIdentity, NewUser, UserRecord } from '../records.js'
import * as schema from '../schema/pg.js'
import { userListFilter } from './conditions.js'
import {
  removesAdminPower,
  removesLastAdmin,
  type UserListQuery,
  type UserPatch,
  type UserRepository,
} from './user-repository.js'

/** The row is not an active admin: removing admin power from it cannot leave none. */
function notAnActiveAdmin(): SQL | undefined {
  const { users } = schema
  return or(ne(users.role, 'admin'), eq(users.isActive, false))
}

/**
 * Records as rows keyed by column name, every column of the table present (an omitted value
 * takes the column's declared default, else null), encoded as drizzle encodes them, for the
 * driver's insert helper.
 */
function columnRows<T extends PgTable>(
  table: T,
  records: readonly T['$inferInsert'][],
): Record<string, unknown>[] {
  const columns = Object.entries(getTableColumns(table)) as [string, PgColumn][]
  return records.map((record) => {
    const row: Record<string, unknown> = {}
    for (const [key, column] of columns) {
      let value = (record as Record<string, unknown>)[key]
      if (value === undefined) value = column.hasDefault ? column.default : null
      // The column's own encoder (a timestamp's ISO text): drizzle set the driver up for it.
      row[column.name] = value === null ? null : column.mapToDriverValue(value)
    }
    return row
  })
}

type Transaction = Parameters<Parameters<PostgresJsDatabase<typeof schema>['transaction']>[0]>[0]

/** The active admins' ids, their rows locked in id order until the transaction ends. */
async function lockActiveAdmins(tx: Transaction): Promise<string[]> {
  const { users } = schema
  const rows = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.role, 'admin'), eq(users.isActive, true)))
    .orderBy(asc(users.id))
    .for('update')
  return rows.map((r) => r.id)
}

export class PgUserRepository implements UserRepository {
  // Named prepared statements: built once, planned once per connection (the hot path of
  // GET /users/me and login).
  private readonly byId
  private readonly byEmail

  constructor(private readonly db: PostgresJsDatabase<typeof schema>) {
    this.byId = db
      .select()
      .from(schema.users)
      .where(eq(schema.users.id, sql.placeholder('id')))
      .prepare('users_by_id')
    this.byEmail = db
      .select()
      .from(schema.users)
      .where(eq(schema.users.email, sql.placeholder('email')))
      .prepare('users_by_email')
  }

  async create(user: NewUser): Promise<UserRecord> {
    const [row] = await this.db.insert(schema.users).values(user).returning()
    return row as UserRecord
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    const [row] = await this.byId.execute({ id })
    return row
  }

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    const [row] = await this.byEmail.execute({ email })
    return row
  }

  async update(id: string, patch: UserPatch): Promise<UserRecord | undefined> {
    const [row] = await this.db
      .update(schema.users)
      .set(patch)
      .where(eq(schema.users.id, id))
      .returning()
    return row
  }

  // A change that cannot take the last admin away (the patch keeps admin power, or the user is
  // not an active admin) is one statement that locks only the user's row. Otherwise the active
  // admins are locked first, always in id order, then the user's row: of two admins demoting
  // each other the second waits and then finds no other admin, and the lock order is the same
  // for every guarded change, so they cannot deadlock. (One statement whose WHERE locked the
  // other admins did deadlock: a statement waiting on the user's row re-checks its WHERE after
  // the wait, taking the admins' locks while holding that row.)
  async updateKeepingAnAdmin(
    id: string,
    patch: UserPatch,
  ): Promise<UserRecord | undefined | 'last_admin'> {
    const { users } = schema
    const unguarded = removesAdminPower(patch) ? notAnActiveAdmin() : undefined
    const [row] = await this.db
      .update(users)
      .set(patch)
      .where(and(eq(users.id, id), unguarded))
      .returning()
    if (row || !unguarded) return row
    return this.db.transaction(async (tx) => {
      if (removesLastAdmin(await lockActiveAdmins(tx), id, patch)) return 'last_admin'
      const [updated] = await tx.update(users).set(patch).where(eq(users.id, id)).returning()
      return updated
    })
  }

  async deleteKeepingAnAdmin(id: string): Promise<boolean | 'last_admin'> {
    const { users } = schema
    const gone = await this.db
      .delete(users)
      .where(and(eq(users.id, id), notAnActiveAdmin()))
      .returning({ id: users.id })
    if (gone.length > 0) return true
    return this.db.transaction(async (tx) => {
      if (removesLastAdmin(await lockActiveAdmins(tx), id, null)) return 'last_admin'
      const rows = await tx.delete(users).where(eq(users.id, id)).returning({ id: users.id })
      return rows.length > 0
    })
  }

  async list(query: UserListQuery): Promise<UserRecord[]> {
    const { users } = schema
    return this.db
      .select()
      .from(users)
      .where(userListFilter(users, query))
      .orderBy(asc(users.id))
      .limit(query.limit)
  }

  async delete(id: string): Promise<boolean> {
    const rows = await this.db
      .delete(schema.users)
      .where(eq(schema.users.id, id))
      .returning({ id: schema.users.id })
    return rows.length > 0
  }

  async recordSignIn(id: string, at: Date): Promise<void> {
    await this.db.update(schema.users).set({ lastLoginAt: at }).where(eq(schema.users.id, id))
  }

  async findByLegacyIds(legacyIds: readonly string[]): Promise<UserRecord[]> {
    if (legacyIds.length === 0) return []
    return this.db
      .select()
      .from(schema.users)
      .where(inArray(schema.users.legacyId, [...legacyIds]))
  }

  async findByEmails(emails: readonly string[]): Promise<UserRecord[]> {
    if (emails.length === 0) return []
    return this.db
      .select()
      .from(schema.users)
      .where(inArray(schema.users.email, [...emails]))
  }

  async createMany(users: readonly NewUser[], identities: readonly NewIdentity[]): Promise<void> {
    if (users.length === 0) return
    // One multi-row INSERT per table (an import's batch of 1,000 users is ~12,000 parameters,
    // under PostgreSQL's 65,535), in one transaction, through postgres.js's own row helper:
    // drizzle's builder took 300-700 ms per 1,000 users (entity checks and mapping per
    // parameter), the driver's helper ~85 ms, which is what makes 100,000 users a minute's work
    // rather than a few. The columns come from the schema, so none can be forgotten.
    const client = (this.db as unknown as { $client: postgres.Sql }).$client
    await client.begin(async (tx) => {
      await tx`insert into users ${tx(columnRows(schema.users, users))}`
      if (identities.length > 0) {
        await tx`insert into identities ${tx(columnRows(schema.identities, identities))}`
      }
    })
  }
}
