export { type AuditClient, type AuditInput, recordAuditEvent } from './audit.js'
export {
  databaseUrlSchema,
  dataDirSchema,
  dbPoolMaxSchema,
  dbQueryTimeoutMsSchema,
} from './config-schema.js'
export {
  type DatabaseTarget,
  DatabaseUrlError,
  DEFAULT_DATA_DIR,
  DEFAULT_SQLITE_PATH,
  parseDatabaseUrl,
  redactDatabaseUrl,
  SQLITE_FILE_NAME,
} from './connection-url.js'
export {
  type Database,
  type DatabaseOptions,
  DEFAULT_QUERY_TIMEOUT_MS,
  type Dialect,
} from './database.js'
export { type EnsureDatabaseResult, ensurePostgresDatabase } from './ensure-database.js'
export {
  type DatabaseError,
  DatabaseNotMigratedError,
  DatabaseUnavailableError,
  UniqueViolationError,
  UnstorableTextError,
} from './errors.js'
export { newId } from './ids.js'
export { MIGRATIONS_FOLDER, type MigrationResult, migrateDatabase } from './migrate.js'
export { openDatabase } from './open-database.js'
export type {
  AuditEventRecord,
  ClientRecord,
  EmailOutboxRecord,
  IdentityRecord,
  NewAuditEvent,
  NewClient,
  NewEmailOutbox,
  NewIdentity,
  NewOneTimeToken,
  NewPasskey,
  NewRecoveryCode,
  NewRefreshToken,
  NewRevocation,
  NewSession,
  NewSigningKey,
  NewTotpFactor,
  NewUser,
  OneTimeTokenRecord,
  PasskeyRecord,
  RecoveryCodeRecord,
  RefreshTokenRecord,
  RevocationRecord,
  SessionRecord,
  SigningKeyRecord,
  TotpFactorRecord,
  UserRecord,
  WebauthnChallengeRecord,
  WebauthnPurpose,
} from './records.js'
export type {
  AuditEventListQuery,
  AuditEventRepository,
} from './repositories/audit-event-repository.js'
export type { ClientPatch, ClientRepository } from './repositories/client-repository.js'
export type {
  AbandonedMail,
  EmailOutboxRepository,
} from './repositories/email-outbox-repository.js'
export type { IdentityRepository } from './repositories/identity-repository.js'
export type {
  OneTimePurpose,
  OneTimeTokenRepository,
} from './repositories/one-time-token-repository.js'
export type { PasskeyRepository, PasskeyUse } from './repositories/passkey-repository.js'
export type {
  RevocationKind,
  RevocationRepository,
} from './repositories/revocation-repository.js'
export type {
  NewTotpEnrolment,
  SecondFactorRepository,
} from './repositories/second-factor-repository.js'
export type {
  RevokeOptions,
  RotateRefreshTokenInput,
  RotationOutcome,
  SessionRepository,
} from './repositories/session-repository.js'
export type { SigningKeyRepository } from './repositories/signing-key-repository.js'
export type {
  UserListQuery,
  UserPatch,
  UserRepository,
} from './repositories/user-repository.js'
export { isSessionLive } from './session-liveness.js'
export type {
  UserChangeFeed,
  UserChangeListener,
  UserChangeSubscription,
} from './user-changes.js'
