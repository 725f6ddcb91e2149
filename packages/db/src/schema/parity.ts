/**
 * Type-level proof that the two dialects' schemas infer the same rows: if a column is added,
 * renamed, retyped or changes nullability in one file and not the other, this file stops
 * compiling. The run-time twin (test/schema-parity.test.ts) also checks defaults and indexes.
 */
import type * as pg from './pg.js'
import type * as sqlite from './sqlite.js'

type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

type Same<Name extends keyof typeof pg & keyof typeof sqlite> =
  Equals<(typeof pg)[Name]['$inferSelect'], (typeof sqlite)[Name]['$inferSelect']> extends true
    ? Equals<(typeof pg)[Name]['$inferInsert'], (typeof sqlite)[Name]['$inferInsert']>
    : false

/** One entry per table; `true` compiles only while both dialects agree. */
export const schemaParity = {
  users: true satisfies Same<'users'>,
  identities: true satisfies Same<'identities'>,
  sessions: true satisfies Same<'sessions'>,
  refreshTokens: true satisfies Same<'refreshTokens'>,
  oneTimeTokens: true satisfies Same<'oneTimeTokens'>,
  signingKeys: true satisfies Same<'signingKeys'>,
  emailOutbox: true satisfies Same<'emailOutbox'>,
  auditEvents: true satisfies Same<'auditEvents'>,
  clients: true satisfies Same<'clients'>,
  revocations: true satisfies Same<'revocations'>,
  totpFactors: true satisfies Same<'totpFactors'>,
  recoveryCodes: true satisfies Same<'recoveryCodes'>,
  passkeys: true satisfies Same<'passkeys'>,
  webauthnChallenges: true satisfies Same<'webauthnChallenges'>,
} as const

/** The table names both schemas export, in creation order. */
export const TABLES = Object.keys(schemaParity) as (keyof typeof schemaParity)[]
