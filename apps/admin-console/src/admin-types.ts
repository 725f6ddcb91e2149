/**
 * Shapes of the admin routes the console reads that have no exported contract type yet.
 * (Everything else comes from @authpair/contracts, as types only: no zod in the bundle.)
 */
export interface AuditEvent {
  id: string
  type: string
  user_id: string | null
  ip: string | null
  user_agent: string | null
  request_id?: string | null
  created_at: string
  details?: Record<string, unknown> | null
}

export interface AuditList {
  items: AuditEvent[]
  next_cursor: string | null
}

export interface AuthUserDetails {
  sessions: {
    id: string
    created_at: string
    last_used_at?: string | null
    expires_at?: string | null
    ip?: string | null
    user_agent?: string | null
    amr?: string[]
  }[]
  identities: { provider: string; subject?: string; email?: string | null; created_at: string }[]
  second_factor: { totp: boolean; recovery_codes_left: number }
  passkeys: { id: string; name: string; created_at: string; last_used_at: string | null }[]
}
