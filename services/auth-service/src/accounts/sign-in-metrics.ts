import type { AuditObserver } from '@authpair/accounts'
import { Counter, type Registry } from 'prom-client'

/** A label value from an audit event's `reason`: snake_case from our code, else `other`. */
function reasonLabel(value: unknown): string {
  return typeof value === 'string' && /^[a-z][a-z0-9_]{0,47}$/.test(value) ? value : 'other'
}

/**
 * The sign-in counters, fed by the audit trail (AuditTrail's observer), so every way of
 * signing in that audits a failure is counted, and the counters cannot disagree with
 * `audit_events`:
 *
 * - `auth_login_failures_total{reason}`: a refused first or second factor. `login_failed`
 *   events carry their reason (`wrong_password`, `unknown_email`, `account_disabled`,
 *   `email_not_verified`, …); a wrong second-factor code is `invalid_mfa_code`; a refused
 *   passkey is `passkey_` + its reason (`passkey_unknown_credential`, …). Sign-ins refused by
 *   a rate limit before any check are in `auth_rate_limited_total` instead.
 * - `auth_refresh_token_reuse_total`: a spent refresh token presented past the reuse leeway,
 *   whose session was revoked (RFC 9700 §4.14.2): each is a likely stolen token.
 */
export function signInMetrics(registry: Registry): AuditObserver {
  const failures = new Counter({
    name: 'auth_login_failures_total',
    help: 'Failed sign-ins, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  })
  const reuse = new Counter({
    name: 'auth_refresh_token_reuse_total',
    help: 'Refresh tokens presented again after rotation (past the leeway): sessions revoked',
    registers: [registry],
  })
  return (type, data) => {
    switch (type) {
      case 'login_failed':
        failures.inc({ reason: reasonLabel(data?.reason) })
        break
      case 'mfa_failed':
        failures.inc({ reason: 'invalid_mfa_code' })
        break
      case 'passkey_sign_in_failed':
        failures.inc({ reason: `passkey_${reasonLabel(data?.reason)}` })
        break
      case 'refresh_token_reused':
        reuse.inc()
        break
    }
  }
}
