/**
 * decideRotation, the one rule both dialects' rotate() apply: a rotated token presented again
 * is a retry only inside the leeway, and a rotation stamped after this request's clock reading
 * (it waited for the row lock meanwhile) is no time at all, never a negative one.
 */
import { describe, expect, it } from 'vitest'
import { decideRotation } from '../src/repositories/session-repository.js'

const t0 = new Date('2026-02-01T00:00:00.000Z')
const at = (ms: number) => new Date(t0.getTime() + ms)
const session = {
  id: 's',
  userId: 'u',
  createdAt: t0,
  lastUsedAt: t0,
  expiresAt: at(86_400_000),
  revokedAt: null,
  revokedReason: null,
  userAgent: null,
  ip: null,
  amr: null,
}
const token = (rotatedAt: Date | null) => ({
  id: 't',
  sessionId: 's',
  tokenHash: 'h',
  createdAt: t0,
  expiresAt: at(86_400_000),
  rotatedAt,
  replacedBy: rotatedAt ? 't2' : null,
})
const input = (now: Date, reuseLeewayMs: number) => ({
  presentedHash: 'h',
  next: { id: 't2', tokenHash: 'h2', createdAt: now, expiresAt: at(86_400_000) },
  now,
  reuseLeewayMs,
})

describe('decideRotation', () => {
  it('treats a rotation stamped after this request read its clock as no time, not negative', () => {
    // Read the clock at 1000, waited for the lock while another request rotated at 1005.
    expect(decideRotation(token(at(1005)), session, input(at(1000), 0)).action).toBe(
      'revoke_for_reuse',
    )
    expect(decideRotation(token(at(1005)), session, input(at(1000), 5000)).action).toBe('rotate')
  })

  it('is a retry inside the leeway and reuse after it', () => {
    expect(decideRotation(token(at(0)), session, input(at(4999), 5000)).action).toBe('rotate')
    expect(decideRotation(token(at(0)), session, input(at(5000), 5000)).action).toBe(
      'revoke_for_reuse',
    )
    expect(decideRotation(token(null), session, input(at(10), 0)).action).toBe('rotate')
  })
})
