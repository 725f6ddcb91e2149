import { and, count, eq, isNotNull, isNull, lt, or } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { NewRecoveryCode, TotpFactorRecord } from '../records.js'
import * as schema from '../schema/pg.js'
import type { NewTotpEnrolment, SecondFactorRepository } from './second-factor-repository.js'

const { totpFactors, recoveryCodes } = schema

export class PgSecondFactorRepository implements SecondFactorRepository {
  constructor(private readonly db: PostgresJsDatabase<typeof schema>) {}

  async findTotp(userId: string): Promise<TotpFactorRecord | undefined> {
    const [row] = await this.db.select().from(totpFactors).where(eq(totpFactors.userId, userId))
    return row
  }

  async beginTotp(enrolment: NewTotpEnrolment): Promise<boolean> {
    // One statement: an enrolment in progress is overwritten, a confirmed one is left alone.
    const rows = await this.db
      .insert(totpFactors)
      .values(enrolment)
      .onConflictDoUpdate({
        target: totpFactors.userId,
        set: { secretEnc: enrolment.secretEnc, createdAt: enrolment.createdAt, lastUsedStep: null },
        setWhere: isNull(totpFactors.confirmedAt),
      })
      .returning({ userId: totpFactors.userId })
    return rows.length > 0
  }

  confirmTotp(
    userId: string,
    confirm: { at: Date; step: number },
    codes: readonly NewRecoveryCode[],
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const confirmed = await tx
        .update(totpFactors)
        .set({ confirmedAt: confirm.at, lastUsedStep: confirm.step })
        .where(and(eq(totpFactors.userId, userId), isNull(totpFactors.confirmedAt)))
        .returning({ userId: totpFactors.userId })
      if (confirmed.length === 0) return false
      await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId))
      if (codes.length > 0) await tx.insert(recoveryCodes).values([...codes])
      return true
    })
  }

  async useTotpStep(userId: string, step: number): Promise<boolean> {
    const rows = await this.db
      .update(totpFactors)
      .set({ lastUsedStep: step })
      .where(
        and(
          eq(totpFactors.userId, userId),
          isNotNull(totpFactors.confirmedAt),
          or(isNull(totpFactors.lastUsedStep), lt(totpFactors.lastUsedStep, step)),
        ),
      )
      .returning({ userId: totpFactors.userId })
    return rows.length > 0
  }

  async useRecoveryCode(userId: string, codeHash: string, at: Date): Promise<boolean> {
    const rows = await this.db
      .update(recoveryCodes)
      .set({ usedAt: at })
      .where(
        and(
          eq(recoveryCodes.userId, userId),
          eq(recoveryCodes.codeHash, codeHash),
          isNull(recoveryCodes.usedAt),
        ),
      )
      .returning({ id: recoveryCodes.id })
    return rows.length > 0
  }

  replaceRecoveryCodes(userId: string, codes: readonly NewRecoveryCode[]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // The authenticator's row is locked, so a concurrent removal waits for this (or wins first).
      const [factor] = await tx
        .select({ userId: totpFactors.userId })
        .from(totpFactors)
        .where(and(eq(totpFactors.userId, userId), isNotNull(totpFactors.confirmedAt)))
        .for('update')
      if (!factor) return false
      await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId))
      if (codes.length > 0) await tx.insert(recoveryCodes).values([...codes])
      return true
    })
  }

  async countUnusedRecoveryCodes(userId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(recoveryCodes)
      .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)))
    return row?.n ?? 0
  }

  removeAll(userId: string): Promise<{ totp: boolean; recoveryCodes: number }> {
    return this.db.transaction(async (tx) => {
      const removed = await tx
        .delete(totpFactors)
        .where(eq(totpFactors.userId, userId))
        .returning({ confirmedAt: totpFactors.confirmedAt })
      const codes = await tx
        .delete(recoveryCodes)
        .where(eq(recoveryCodes.userId, userId))
        .returning({ id: recoveryCodes.id })
      return { totp: removed.some((r) => r.confirmedAt !== null), recoveryCodes: codes.length }
    })
  }
}
