import { and, count, eq, isNotNull, isNull, lt, or } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { NewRecoveryCode, TotpFactorRecord } from '../records.js'
import * as schema from '../schema/sqlite.js'
import type { NewTotpEnrolment, SecondFactorRepository } from './second-factor-repository.js'
import { preparedInsert } from './sqlite-insert.js'

const { totpFactors, recoveryCodes } = schema

/** Synchronous transaction callbacks: see session-repository.sqlite.ts. */
export class SqliteSecondFactorRepository implements SecondFactorRepository {
  constructor(private readonly db: BetterSQLite3Database<typeof schema>) {}

  // Prepared once, on first use (the table must exist by then).
  private prepared?: ReturnType<typeof preparedInsert<typeof recoveryCodes>>
  private get insertCode() {
    this.prepared ??= preparedInsert(this.db, recoveryCodes)
    return this.prepared
  }

  async findTotp(userId: string): Promise<TotpFactorRecord | undefined> {
    return this.db.select().from(totpFactors).where(eq(totpFactors.userId, userId)).get()
  }

  async beginTotp(enrolment: NewTotpEnrolment): Promise<boolean> {
    // One statement: an enrolment in progress is overwritten, a confirmed one is left alone.
    const rows = this.db
      .insert(totpFactors)
      .values(enrolment)
      .onConflictDoUpdate({
        target: totpFactors.userId,
        set: { secretEnc: enrolment.secretEnc, createdAt: enrolment.createdAt, lastUsedStep: null },
        setWhere: isNull(totpFactors.confirmedAt),
      })
      .returning({ userId: totpFactors.userId })
      .all()
    return rows.length > 0
  }

  async confirmTotp(
    userId: string,
    confirm: { at: Date; step: number },
    codes: readonly NewRecoveryCode[],
  ): Promise<boolean> {
    const insertCode = this.insertCode
    return this.db.transaction(
      (tx) => {
        const confirmed = tx
          .update(totpFactors)
          .set({ confirmedAt: confirm.at, lastUsedStep: confirm.step })
          .where(and(eq(totpFactors.userId, userId), isNull(totpFactors.confirmedAt)))
          .run().changes
        if (confirmed === 0) return false
        tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)).run()
        for (const code of codes) insertCode.run(code)
        return true
      },
      { behavior: 'immediate' },
    )
  }

  async useTotpStep(userId: string, step: number): Promise<boolean> {
    return (
      this.db
        .update(totpFactors)
        .set({ lastUsedStep: step })
        .where(
          and(
            eq(totpFactors.userId, userId),
            isNotNull(totpFactors.confirmedAt),
            or(isNull(totpFactors.lastUsedStep), lt(totpFactors.lastUsedStep, step)),
          ),
        )
        .run().changes > 0
    )
  }

  async useRecoveryCode(userId: string, codeHash: string, at: Date): Promise<boolean> {
    return (
      this.db
        .update(recoveryCodes)
        .set({ usedAt: at })
        .where(
          and(
            eq(recoveryCodes.userId, userId),
            eq(recoveryCodes.codeHash, codeHash),
            isNull(recoveryCodes.usedAt),
          ),
        )
        .run().changes > 0
    )
  }

  async replaceRecoveryCodes(userId: string, codes: readonly NewRecoveryCode[]): Promise<boolean> {
    const insertCode = this.insertCode
    return this.db.transaction(
      (tx) => {
        const factor = tx
          .select({ userId: totpFactors.userId })
          .from(totpFactors)
          .where(and(eq(totpFactors.userId, userId), isNotNull(totpFactors.confirmedAt)))
          .get()
        if (!factor) return false
        tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)).run()
        for (const code of codes) insertCode.run(code)
        return true
      },
      { behavior: 'immediate' },
    )
  }

  async countUnusedRecoveryCodes(userId: string): Promise<number> {
    const row = this.db
      .select({ n: count() })
      .from(recoveryCodes)
      .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)))
      .get()
    return row?.n ?? 0
  }

  async removeAll(userId: string): Promise<{ totp: boolean; recoveryCodes: number }> {
    return this.db.transaction(
      (tx) => {
        const removed = tx
          .delete(totpFactors)
          .where(eq(totpFactors.userId, userId))
          .returning({ confirmedAt: totpFactors.confirmedAt })
          .all()
        const codes = tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)).run().changes
        return { totp: removed.some((r) => r.confirmedAt !== null), recoveryCodes: codes }
      },
      { behavior: 'immediate' },
    )
  }
}
