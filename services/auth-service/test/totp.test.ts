/**
 * The service's TOTP against RFC 6238 Appendix B (SHA-1, the 20-byte ASCII secret
 * "12345678901234567890"): the six low digits of each 8-digit vector, at its time, are the
 * code of that step; and recovery codes as typed from paper.
 */
import { describe, expect, it } from 'vitest'
import {
  hashRecoveryCode,
  newRecoveryCode,
  normalizeRecoveryCode,
} from '../src/mfa/recovery-codes.js'
import { matchingTimeStep, timeStepAt, totpCodeAt } from '../src/mfa/totp.js'

const SECRET = Buffer.from('12345678901234567890', 'ascii')
const VECTORS: [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
]

describe('TOTP (RFC 6238, SHA-1, 6 digits, 30 s)', () => {
  it.each(VECTORS)('at %i s the code is the low six digits of %s', (seconds, eight) => {
    const at = new Date(seconds * 1000)
    expect(totpCodeAt(SECRET, at)).toBe(eight.slice(2))
    expect(matchingTimeStep(SECRET, eight.slice(2), at)).toBe(Math.floor(seconds / 30))
  })

  it('matches one step either side and no further, and only six digits', () => {
    const at = new Date(1111111111 * 1000)
    const step = timeStepAt(at)
    const code = (offset: number) => totpCodeAt(SECRET, new Date(at.getTime() + offset * 30_000))
    expect(matchingTimeStep(SECRET, code(-1), at)).toBe(step - 1)
    expect(matchingTimeStep(SECRET, code(1), at)).toBe(step + 1)
    expect(matchingTimeStep(SECRET, code(-2), at)).toBeUndefined()
    expect(matchingTimeStep(SECRET, code(2), at)).toBeUndefined()
    expect(matchingTimeStep(SECRET, '14050471', at)).toBeUndefined()
    expect(matchingTimeStep(SECRET, ' 050471', at)).toBeUndefined()
  })
})

describe('recovery codes', () => {
  it('are 24 base32 characters in groups of four, different each time', () => {
    const codes = Array.from({ length: 50 }, newRecoveryCode)
    for (const code of codes)
      expect(code).toMatch(/^([0-9a-hjkmnp-tv-z]{4}-){5}[0-9a-hjkmnp-tv-z]{4}$/)
    expect(new Set(codes).size).toBe(50)
  })

  it('read the same typed in capitals, with spaces, and with the look-alike letters', () => {
    const code = 'ab10-cd0e-fg1h-jk1m-np0q-rstv'
    const stored = hashRecoveryCode(normalizeRecoveryCode(code) ?? '')
    for (const typed of ['AB10 CD0E FG1H JK1M NP0Q RSTV', 'abl0cdOefgihjk1mnpoqrstv']) {
      expect(hashRecoveryCode(normalizeRecoveryCode(typed) ?? 'x')).toBe(stored)
    }
    expect(normalizeRecoveryCode('ab10-cd0e-fg1h-jk1m-np0q-rst')).toBeUndefined()
    expect(normalizeRecoveryCode('ab10-cd0e-fg1h-jk1m-np0q-rstu')).toBeUndefined()
  })
})
