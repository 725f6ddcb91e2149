import { and, asc, eq, type SQL, sql } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { NewUser, UserRecord } from '../records.js'
import * as schema from '../schema/pg.js'
import { userListFilter } from './conditions.js'
import {
  removesAdminPower,
  type UserListQuery,
  type UserPatch,
  type UserRepository,
} from './user-repository.js'

/**
 * The row being changed is not an active admin, or another active admin exists (their rows
 * locked until this statement's transaction ends).
 */
function keepsAnotherAdmin(id: string): SQL {
  const { users } = schema
  return sql`(${users.role} <> 'admin' or not ${users.isActive} or exists (
    select 1 from ${users} as another
    where another.role = 'admin' and another.is_active and another.id <> ${id}
    for update))`
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

  // One statement each, not a transaction: a transaction holds a pooled connection of its own
  // for four round trips, and under load it waits for a connection to drain first (a demotion
  // amid a burst of admin requests answered after all of them). The guard locks the other
  // active admins' rows (FOR UPDATE in the sub-select), so of two admins demoting each other at
  // once the second waits, re-reads the first's row (READ COMMITTED), and finds no other admin.
  async updateKeepingAnAdmin(
    id: string,
    patch: UserPatch,
  ): Promise<UserRecord | undefined | 'last_admin'> {
    const guarded = removesAdminPower(patch)
    const [row] = await this.db
      .update(schema.users)
      .set(patch)
      .where(and(eq(schema.users.id, id), guarded ? keepsAnotherAdmin(id) : undefined))
      .returning()
    if (row || !guarded) return row
    return (await this.findById(id)) ? 'last_admin' : undefined
  }

  async deleteKeepingAnAdmin(id: string): Promise<boolean | 'last_admin'> {
    const rows = await this.db
      .delete(schema.users)
      .where(and(eq(schema.users.id, id), keepsAnotherAdmin(id)))
      .returning({ id: schema.users.id })
    if (rows.length > 0) return true
    return (await this.findById(id)) ? 'last_admin' : false
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
}
