import { and, asc, eq, sql } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { NewUser, UserRecord } from '../records.js'
import * as schema from '../schema/pg.js'
import { userListFilter } from './conditions.js'
import {
  removesLastAdmin,
  type UserListQuery,
  type UserPatch,
  type UserRepository,
} from './user-repository.js'

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

  updateKeepingAnAdmin(
    id: string,
    patch: UserPatch,
  ): Promise<UserRecord | undefined | 'last_admin'> {
    return this.db.transaction(async (tx) => {
      if (removesLastAdmin(await this.lockActiveAdmins(tx), id, patch)) return 'last_admin'
      const [row] = await tx
        .update(schema.users)
        .set(patch)
        .where(eq(schema.users.id, id))
        .returning()
      return row
    })
  }

  deleteKeepingAnAdmin(id: string): Promise<boolean | 'last_admin'> {
    return this.db.transaction(async (tx) => {
      if (removesLastAdmin(await this.lockActiveAdmins(tx), id, null)) return 'last_admin'
      const rows = await tx
        .delete(schema.users)
        .where(eq(schema.users.id, id))
        .returning({ id: schema.users.id })
      return rows.length > 0
    })
  }

  /**
   * The active admins' ids, their rows locked until the transaction ends: a concurrent guarded
   * change waits here, then (READ COMMITTED re-checks locked rows) sees the first one's result.
   */
  private async lockActiveAdmins(
    tx: Parameters<Parameters<PostgresJsDatabase<typeof schema>['transaction']>[0]>[0],
  ): Promise<string[]> {
    const { users } = schema
    const rows = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.role, 'admin'), eq(users.isActive, true)))
      .for('update')
    return rows.map((r) => r.id)
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
