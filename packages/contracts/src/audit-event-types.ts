/**
 * Every event the audit trail records: one closed list, so a typo is a type error and the admin
 * API can document the list. Add new ones; never rename one (stored rows keep the old name).
 */
export const AUDIT_EVENT_TYPES = [
  // accounts
  'user_registered',
  'user_created',
  'user_updated',
  'user_deleted',
  'role_changed',
  'email_verified',
  'account_claimed',
  'users_imported',
  // sign-in
  'login_succeeded',
  'login_failed',
  'sign_in_locked',
  'oauth_failed',
  'identity_linked',
  'identity_unlinked',
  // second factor
  'mfa_challenge_issued',
  'mfa_failed',
  'mfa_enabled',
  'mfa_removed',
  'recovery_code_used',
  'recovery_codes_regenerated',
  // passkeys (a sign-in with one is login_succeeded with via passkey)
  'passkey_added',
  'passkey_renamed',
  'passkey_removed',
  'passkey_sign_in_failed',
  'passkey_counter_regressed',
  // passwords
  'password_reset_requested',
  'password_reset',
  'password_changed',
  'password_change_failed',
  'password_hash_upgraded',
  // sessions and keys
  'refresh_token_reused',
  'session_revoked',
  'sessions_revoked',
  'key_rotated',
  // clients (the client-credentials grant)
  'client_created',
  'client_updated',
  'client_secret_rotated',
  'client_deleted',
  'client_token_issued',
  'client_auth_failed',
] as const
