import { eq } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { NewUser, UserRecord } from '../records.js'
import * as schema from '../schema/pg.js'
import type { UserPatch, UserRepository } from './user-repository.js'

export class PgUserRepository implements UserRepository {
  constructor(private readonly db: PostgresJsDatabase<typeof schema>) {}

  async create(user: NewUser): Promise<UserRecord> {
    const [row] = await this.db.insert(schema.users).values(user).returning()
    return row as UserRecord
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    const [row] = await this.db.select().from(schema.users).where(eq(schema.users.id, id))
    return row
  }

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    const [row] = await this.db.select().from(schema.users).where(eq(schema.users.email, email))
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

  async delete(id: string): Promise<boolean> {
    const rows = await this.db
      .delete(schema.users)
      .where(eq(schema.users.id, id))
      .returning({ id: schema.users.id })
    return rows.length > 0
  }
}
