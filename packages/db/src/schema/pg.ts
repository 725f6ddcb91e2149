/**
 * PostgreSQL schema. Its twin is ./sqlite.ts: the same tables, columns, nullability, defaults
 * and indexes, written in the other dialect's column types. ./parity.ts proves at the type level
 * that both infer the same row types, and test/schema-parity.test.ts compares them column by
 * column at run time. Change one, change both, then `pnpm db:generate`.
 *
 * Conventions shared with the SQLite twin: ids are app-generated UUIDv7 text; timestamps are
 * set by the application (its clock, so tests can shift time) and read back as Date; no
 * database-side `now()` defaults.
 */
import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 })

export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    /**
     * Trimmed and lower-cased before it is stored: one mailbox, one account. Null for an account
     * made by a provider that did not vouch for its address (Yandex): an unproven address never
     * claims the mailbox; it becomes the account's once a verification link proves it.
     */
    email: text('email'),
    emailVerified: boolean('email_verified').notNull().default(false),
    /**
     * argon2id PHC string, or an imported Django hash until its first sign-in re-hashes it; null
     * for accounts that only sign in through a provider.
     */
    passwordHash: text('password_hash'),
    name: text('name'),
    locale: text('locale'),
    role: text('role').notNull().default('user'),
    isActive: boolean('is_active').notNull().default(true),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    /** The last completed sign-in (imported accounts: Django's last_login until their first here). */
    lastLoginAt: ts('last_login_at'),
    /**
     * Where an imported account came from, e.g. `django:42` (auth_user.id 42): a re-run of the
     * import finds the account by it and updates it instead of making another. Null otherwise.
     */
    legacyId: text('legacy_id'),
  },
  (t) => [
    uniqueIndex('users_email_key').on(t.email),
    index('users_created_at_idx').on(t.createdAt),
    uniqueIndex('users_legacy_id_key').on(t.legacyId),
  ],
)

export const identities = pgTable(
  'identities',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    providerUserId: text('provider_user_id').notNull(),
    email: text('email'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('identities_provider_user_key').on(t.provider, t.providerUserId),
    uniqueIndex('identities_user_provider_key').on(t.userId, t.provider),
  ],
)

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: ts('created_at').notNull(),
    lastUsedAt: ts('last_used_at').notNull(),
    /** The absolute lifetime: no refresh extends a session past this. */
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
    revokedReason: text('revoked_reason'),
    userAgent: text('user_agent'),
    ip: text('ip'),
    /**
     * How the session's sign-in was proven, RFC 8176 values space-separated (`pwd otp mfa`):
     * every access token of the session carries them as `amr`. Null for sessions from before it
     * was recorded.
     */
    amr: text('amr'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
)

export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    /** SHA-256 of the token, base64url; the token itself is never stored. */
    tokenHash: text('token_hash').notNull(),
    createdAt: ts('created_at').notNull(),
    /** The idle lifetime: a token unused until then is dead. */
    expiresAt: ts('expires_at').notNull(),
    /** Set when the token was rotated; presenting it again after the leeway is reuse. */
    rotatedAt: ts('rotated_at'),
    replacedBy: text('replaced_by'),
  },
  (t) => [
    uniqueIndex('refresh_tokens_hash_key').on(t.tokenHash),
    index('refresh_tokens_session_idx').on(t.sessionId),
  ],
)

export const oneTimeTokens = pgTable(
  'one_time_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** password_reset | email_verify | oauth_login | mfa_challenge */
    purpose: text('purpose').notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
    /** JSON text for purpose-specific data (e.g. the email an email_verify token is for). */
    data: text('data'),
    /** Wrong answers given with it (an mfa_challenge is spent after a few). */
    failures: integer('failures').notNull().default(0),
  },
  (t) => [
    uniqueIndex('one_time_tokens_hash_key').on(t.tokenHash),
    index('one_time_tokens_user_purpose_idx').on(t.userId, t.purpose),
  ],
)

export const signingKeys = pgTable(
  'signing_keys',
  {
    /** The `kid` published in the JWKS and in every token's header. */
    kid: text('kid').primaryKey(),
    alg: text('alg').notNull(),
    /** Public JWK as JSON text. */
    publicJwk: text('public_jwk').notNull(),
    /** PKCS#8 private key, AES-256-GCM encrypted with the key-encryption key. */
    privateKeyEnc: text('private_key_enc').notNull(),
    createdAt: ts('created_at').notNull(),
    /** Published from creation; signs only from this instant (so verifiers see it first). */
    activatesAt: ts('activates_at').notNull(),
    retiredAt: ts('retired_at'),
    /** A retired key stays in the JWKS until every token it signed has expired. */
    publishedUntil: ts('published_until'),
  },
  (t) => [index('signing_keys_activates_at_idx').on(t.activatesAt)],
)

export const emailOutbox = pgTable(
  'email_outbox',
  {
    id: text('id').primaryKey(),
    /** Template name, for metrics and logs (the body is already rendered). */
    kind: text('kind').notNull(),
    toAddress: text('to_address').notNull(),
    subject: text('subject').notNull(),
    /**
     * The rendered bodies, as the application hands them over (the auth-service seals them;
     * this package stores strings). Dropped when the mail is sent: a sent mail keeps only what
     * operations need (kind, address, subject, times). Nullable for that reason alone; the
     * check below still requires a text body until the mail is sent.
     */
    textBody: text('text_body'),
    htmlBody: text('html_body'),
    createdAt: ts('created_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull(),
    /** A worker's lease: others skip the row until it passes. */
    lockedUntil: ts('locked_until'),
    sentAt: ts('sent_at'),
    lastError: text('last_error'),
  },
  (t) => [
    // Serves the worker's due scan and both retention deletes (sent_at < x; sent_at is null).
    index('email_outbox_pending_idx').on(t.sentAt, t.nextAttemptAt),
    check('email_outbox_body_until_sent', sql`sent_at is not null or text_body is not null`),
  ],
)

export const auditEvents = pgTable(
  'audit_events',
  {
    id: text('id').primaryKey(),
    /** e.g. login_succeeded, login_failed, refresh_token_reused, key_rotated */
    type: text('type').notNull(),
    /** Kept after the user is deleted: the trail outlives the account. */
    userId: text('user_id'),
    actorId: text('actor_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    requestId: text('request_id'),
    /** JSON text with event-specific details; never a secret. */
    data: text('data'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    index('audit_events_user_idx').on(t.userId, t.createdAt),
    index('audit_events_created_at_idx').on(t.createdAt),
  ],
)

export const clients = pgTable(
  'clients',
  {
    /** The client_id: what the client authenticates as, and its tokens' `sub` and `client_id`. */
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** SHA-256 of the secret, base64url: 256 random bits need no slow hash; never the secret. */
    secretHash: text('secret_hash').notNull(),
    /** The scopes it may ask for, space-separated (RFC 6749 §3.3); empty: none. */
    scopes: text('scopes').notNull().default(''),
    /** The audiences its tokens may name, space-separated; empty: the default audience only. */
    audiences: text('audiences').notNull().default(''),
    disabled: boolean('disabled').notNull().default(false),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    /** When its secret last authenticated (updated at most once a minute). */
    lastUsedAt: ts('last_used_at'),
  },
  (t) => [index('clients_created_at_idx').on(t.createdAt)],
)

/**
 * The revocation feed (docs/design.md, Revocation): one row per session ended and per user
 * disabled, so that a verifier without access to this database learns of them. The id is the
 * feed's cursor: a sequence, not a UUID, and (PostgreSQL) rows are appended under a
 * transaction-scoped advisory lock, so ids become visible in order and a reader's cursor never
 * skips a row committed late. Kept while a token issued before the event could still be valid.
 */
export const revocations = pgTable(
  'revocations',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    /** `session`: the session `subject_id` ended; `user`: every token of user `subject_id`. */
    kind: text('kind').notNull(),
    subjectId: text('subject_id').notNull(),
    userId: text('user_id').notNull(),
    revokedAt: ts('revoked_at').notNull(),
  },
  (t) => [index('revocations_revoked_at_idx').on(t.revokedAt)],
)

/**
 * A user's authenticator app (RFC 6238 TOTP): at most one per user. A row with no confirmedAt
 * is an enrolment in progress, which signs nobody in until a code confirms it.
 */
export const totpFactors = pgTable('totp_factors', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  /** The shared secret, encrypted by the application (it is opaque text here). */
  secretEnc: text('secret_enc').notNull(),
  createdAt: ts('created_at').notNull(),
  confirmedAt: ts('confirmed_at'),
  /** The time step of the last accepted code: a code of this step or an earlier one is a replay. */
  lastUsedStep: integer('last_used_step'),
})

/** Single-use recovery codes, stored as hashes; a set is replaced whole. */
export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    createdAt: ts('created_at').notNull(),
    usedAt: ts('used_at'),
  },
  (t) => [uniqueIndex('recovery_codes_user_hash_key').on(t.userId, t.codeHash)],
)

/**
 * A user's passkeys (WebAuthn credentials). The credential id and public key are base64url
 * text, as the authenticator gave them; sign_count is a 32-bit unsigned counter (bigint here,
 * since integer is signed); transports a space-separated list.
 */
export const passkeys = pgTable(
  'passkeys',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    credentialId: text('credential_id').notNull(),
    publicKey: text('public_key').notNull(),
    signCount: bigint('sign_count', { mode: 'number' }).notNull(),
    transports: text('transports'),
    /** Backup eligible (a multi-device, synced passkey) and backed up: the BE and BS flags. */
    backupEligible: boolean('backup_eligible').notNull(),
    backedUp: boolean('backed_up').notNull(),
    name: text('name').notNull(),
    createdAt: ts('created_at').notNull(),
    lastUsedAt: ts('last_used_at'),
  },
  (t) => [
    uniqueIndex('passkeys_credential_id_key').on(t.credentialId),
    index('passkeys_user_id_idx').on(t.userId),
  ],
)

/**
 * WebAuthn challenges: single use (deleted when taken), short-lived, kept server-side. user_id
 * is null for a usernameless sign-in's challenge.
 */
export const webauthnChallenges = pgTable(
  'webauthn_challenges',
  {
    challenge: text('challenge').primaryKey(),
    /** `registration` or `authentication`. */
    purpose: text('purpose').notNull(),
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [index('webauthn_challenges_expires_at_idx').on(t.expiresAt)],
)
