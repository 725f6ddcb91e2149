import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { NewIdentity, NewUser, UserRecord } from '../records.js'
import * as schema from '../schema/sqlite.js'
import { userListFilter } from './conditions.js'
import { preparedInsert } from './sqlite-insert.js'
import {
  removesLastAdmin,
  type UserListQuery,
  type UserPatch,
  type UserRepository,
} from './user-repository.js'

const prepareById = (db: BetterSQLite3Database<typeof schema>) =>
  db
    .select()
    .from(schema.users)
    .where(eq(schema.users.id, sql.placeholder('id')))
    .prepare()
const prepareByEmail = (db: BetterSQLite3Database<typeof schema>) =>
  db
    .select()
    .from(schema.users)
    .where(eq(schema.users.email, sql.placeholder('email')))
    .prepare()

const prepareCreate = (db: BetterSQLite3Database<typeof schema>) => preparedInsert(db, schema.users)

/** better-sqlite3 is synchronous: each method runs one statement and resolves with its result. */
export class SqliteUserRepository implements UserRepository {
  constructor(private readonly db: BetterSQLite3Database<typeof schema>) {}

  // Prepared once, on first use (preparing needs the tables to exist): building and preparing
  // the statement per call dominated the hot path (GET /users/me) in a CPU profile.
  private prepared?: {
    byId: ReturnType<typeof prepareById>
    byEmail: ReturnType<typeof prepareByEmail>
    create: ReturnType<typeof prepareCreate>
  }
  private get statements() {
    this.prepared ??= {
      byId: prepareById(this.db),
      byEmail: prepareByEmail(this.db),
      create: prepareCreate(this.db),
    }
    return this.prepared
  }

  async create(user: NewUser): Promise<UserRecord> {
    return this.statements.create.get(user)
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    return this.statements.byId.get({ id })
  }

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    return this.statements.byEmail.get({ email })
  }

  async update(id: string, patch: UserPatch): Promise<UserRecord | undefined> {
    return this.db.update(schema.users).set(patch).where(eq(schema.users.id, id)).returning().get()
  }

  async updateKeepingAnAdmin(
    id: string,
    patch: UserPatch,
  ): Promise<UserRecord | undefined | 'last_admin'> {
    // Synchronous and IMMEDIATE: the write lock is taken before the admins are read.
    return this.db.transaction(
      (tx) => {
        if (removesLastAdmin(this.activeAdmins(tx), id, patch)) return 'last_admin' as const
        return tx.update(schema.users).set(patch).where(eq(schema.users.id, id)).returning().get()
      },
      { behavior: 'immediate' },
    )
  }

  async deleteKeepingAnAdmin(id: string): Promise<boolean | 'last_admin'> {
    return this.db.transaction(
      (tx) => {
        if (removesLastAdmin(this.activeAdmins(tx), id, null)) return 'last_admin' as const
        return tx.delete(schema.users).where(eq(schema.users.id, id)).run().changes > 0
      },
      { behavior: 'immediate' },
    )
  }

  private activeAdmins(tx: Pick<BetterSQLite3Database<typeof schema>, 'select'>): string[] {
    const { users } = schema
    return tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.role, 'admin'), eq(users.isActive, true)))
      .all()
      .map((r) => r.id)
  }

  async list(query: UserListQuery): Promise<UserRecord[]> {
    const { users } = schema
    return this.db
      .select()
      .from(users)
      .where(userListFilter(users, query))
      .orderBy(asc(users.id))
      .limit(query.limit)
      .all()
  }

  async delete(id: string): Promise<boolean> {
    const result = this.db.delete(schema.users).where(eq(schema.users.id, id)).run()
    return result.changes > 0
  }

  async recordSignIn(id: string, at: Date): Promise<void> {
    this.db.update(schema.users).set({ lastLoginAt: at }).where(eq(schema.users.id, id)).run()
  }

  async findByLegacyIds(legacyIds: readonly string[]): Promise<UserRecord[]> {
    if (legacyIds.length === 0) return []
    const { users } = schema
    return this.db
      .select()
      .from(users)
      .where(inArray(users.legacyId, [...legacyIds]))
      .all()
  }

  async findByEmails(emails: readonly string[]): Promise<UserRecord[]> {
    if (emails.length === 0) return []
    const { users } = schema
    return this.db
      .select()
      .from(users)
      .where(inArray(users.email, [...emails]))
      .all()
  }

  async createMany(users: readonly NewUser[], identities: readonly NewIdentity[]): Promise<void> {
    // Synchronous, so the transaction really commits or rolls back as one (see CONVENTIONS 6).
    this.db.transaction((tx) => {
      for (const user of users) this.statements.create.run(user)
      if (identities.length > 0)
        tx.insert(schema.identities)
          .values([...identities])
          .run()
    })
  }
}
