import { asc, eq, sql } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { NewUser, UserRecord } from '../records.js'
import * as schema from '../schema/pg.js'
import { userListFilter } from './conditions.js'
import type { UserListQuery, UserPatch, UserRepository } from './user-repository.js'

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
