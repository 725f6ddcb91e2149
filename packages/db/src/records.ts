/**
 * The row types the data-access layer returns. They are inferred from the PostgreSQL schema;
 * schema/parity.ts proves the SQLite schema infers the very same types, so business code holds
 * one type whichever dialect is underneath.
 */
import type * as pg from './schema/pg.js'

export type UserRecord = typeof pg.users.$inferSelect
export type NewUser = typeof pg.users.$inferInsert
export type IdentityRecord = typeof pg.identities.$inferSelect
export type NewIdentity = typeof pg.identities.$inferInsert
export type SessionRecord = typeof pg.sessions.$inferSelect
export type NewSession = typeof pg.sessions.$inferInsert
export type RefreshTokenRecord = typeof pg.refreshTokens.$inferSelect
export type NewRefreshToken = typeof pg.refreshTokens.$inferInsert
export type OneTimeTokenRecord = typeof pg.oneTimeTokens.$inferSelect
export type NewOneTimeToken = typeof pg.oneTimeTokens.$inferInsert
export type SigningKeyRecord = typeof pg.signingKeys.$inferSelect
export type NewSigningKey = typeof pg.signingKeys.$inferInsert
export type EmailOutboxRecord = typeof pg.emailOutbox.$inferSelect
export type NewEmailOutbox = typeof pg.emailOutbox.$inferInsert
export type AuditEventRecord = typeof pg.auditEvents.$inferSelect
export type NewAuditEvent = typeof pg.auditEvents.$inferInsert
export type ClientRecord = typeof pg.clients.$inferSelect
export type NewClient = typeof pg.clients.$inferInsert
/** A row of the revocation feed; `kind` is 'session' or 'user' (RevocationKind). */
export type RevocationRecord = Omit<typeof pg.revocations.$inferSelect, 'kind'> & {
  kind: 'session' | 'user'
}
export type NewRevocation = Omit<RevocationRecord, 'id'>
export type TotpFactorRecord = typeof pg.totpFactors.$inferSelect
export type NewTotpFactor = typeof pg.totpFactors.$inferInsert
export type RecoveryCodeRecord = typeof pg.recoveryCodes.$inferSelect
export type NewRecoveryCode = typeof pg.recoveryCodes.$inferInsert
export type PasskeyRecord = typeof pg.passkeys.$inferSelect
export type NewPasskey = typeof pg.passkeys.$inferInsert
/** A WebAuthn challenge; `purpose` is 'registration' or 'authentication' (WebauthnPurpose). */
export type WebauthnChallengeRecord = Omit<typeof pg.webauthnChallenges.$inferSelect, 'purpose'> & {
  purpose: WebauthnPurpose
}
export type WebauthnPurpose = 'registration' | 'authentication'
