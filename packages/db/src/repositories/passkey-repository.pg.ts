import { and, count, eq, gt, lte } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { NewPasskey, PasskeyRecord, WebauthnChallengeRecord } from '../records.js'
import * as schema from '../schema/pg.js'
import type { PasskeyRepository, PasskeyUse } from './passkey-repository.js'

const { passkeys, webauthnChallenges } = schema

export class PgPasskeyRepository implements PasskeyRepository {
  constructor(private readonly db: PostgresJsDatabase<typeof schema>) {}

  async create(passkey: NewPasskey): Promise<void> {
    await this.db.insert(passkeys).values(passkey)
  }

  async listForUser(userId: string): Promise<PasskeyRecord[]> {
    return this.db
      .select()
      .from(passkeys)
      .where(eq(passkeys.userId, userId))
      .orderBy(passkeys.createdAt, passkeys.id)
  }

  async countForUser(userId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(passkeys)
      .where(eq(passkeys.userId, userId))
    return row?.n ?? 0
  }

  async findByCredentialId(credentialId: string): Promise<PasskeyRecord | undefined> {
    const [row] = await this.db
      .select()
      .from(passkeys)
      .where(eq(passkeys.credentialId, credentialId))
    return row
  }

  async findForUser(userId: string, id: string): Promise<PasskeyRecord | undefined> {
    const [row] = await this.db
      .select()
      .from(passkeys)
      .where(and(eq(passkeys.userId, userId), eq(passkeys.id, id)))
    return row
  }

  async rename(userId: string, id: string, name: string): Promise<PasskeyRecord | undefined> {
    const [row] = await this.db
      .update(passkeys)
      .set({ name })
      .where(and(eq(passkeys.userId, userId), eq(passkeys.id, id)))
      .returning()
    return row
  }

  async delete(userId: string, id: string): Promise<boolean> {
    const rows = await this.db
      .delete(passkeys)
      .where(and(eq(passkeys.userId, userId), eq(passkeys.id, id)))
      .returning({ id: passkeys.id })
    return rows.length > 0
  }

  async deleteAllForUser(userId: string): Promise<number> {
    const rows = await this.db
      .delete(passkeys)
      .where(eq(passkeys.userId, userId))
      .returning({ id: passkeys.id })
    return rows.length
  }

  async recordUse(id: string, use: PasskeyUse): Promise<boolean> {
    const rows = await this.db
      .update(passkeys)
      .set({ signCount: use.signCount, backedUp: use.backedUp, lastUsedAt: use.at })
      .where(and(eq(passkeys.id, id), eq(passkeys.signCount, use.previousSignCount)))
      .returning({ id: passkeys.id })
    return rows.length > 0
  }

  async issueChallenge(challenge: WebauthnChallengeRecord): Promise<void> {
    await this.db
      .delete(webauthnChallenges)
      .where(lte(webauthnChallenges.expiresAt, challenge.createdAt))
    await this.db.insert(webauthnChallenges).values(challenge)
  }

  async takeChallenge(
    challenge: string,
    purpose: WebauthnChallengeRecord['purpose'],
    now: Date,
  ): Promise<WebauthnChallengeRecord | undefined> {
    // One statement: of two requests with the same challenge, one gets the row.
    const [row] = await this.db
      .delete(webauthnChallenges)
      .where(
        and(
          eq(webauthnChallenges.challenge, challenge),
          eq(webauthnChallenges.purpose, purpose),
          gt(webauthnChallenges.expiresAt, now),
        ),
      )
      .returning()
    return row ? { ...row, purpose: row.purpose as WebauthnChallengeRecord['purpose'] } : undefined
  }
}
