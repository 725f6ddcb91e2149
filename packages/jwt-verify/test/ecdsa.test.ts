import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { p1363ToDer } from '../src/ecdsa.js'

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('hex')

describe('p1363ToDer (ES256 signatures for node:crypto)', () => {
  it('verifies exactly what dsaEncoding ieee-p1363 verifies, over many signatures', () => {
    let highBit = 0
    for (let i = 0; i < 500; i++) {
      const data = randomBytes(64)
      const p1363 = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })
      if ((p1363[0] ?? 0) >= 0x80 || (p1363[32] ?? 0) >= 0x80) highBit++
      const der = p1363ToDer(p1363)
      expect(der && verify('sha256', data, publicKey, der)).toBe(true)
      // a DER SEQUENCE whose length covers the rest
      expect(der?.[0]).toBe(0x30)
      expect(der?.[1]).toBe((der?.length ?? 0) - 2)
      const tampered = Buffer.from(p1363)
      tampered[i % 64] = (tampered[i % 64] ?? 0) ^ 1
      const wrong = p1363ToDer(tampered)
      expect(wrong && verify('sha256', data, publicKey, wrong)).toBe(false)
    }
    expect(highBit).toBeGreaterThan(0)
  })

  it('writes minimal signed INTEGERs', () => {
    const r = Buffer.alloc(32)
    const s = Buffer.alloc(32)
    // zero: one byte 00
    expect(hex(p1363ToDer(Buffer.concat([r, s])))).toBe('3006020100020100')
    // leading zero bytes dropped; a set high bit gets one 00 back
    r[30] = 0x01
    r[31] = 0x02
    s.fill(0xff)
    expect(hex(p1363ToDer(Buffer.concat([r, s])))).toBe(
      `30270202 0102 0221 00${'ff'.repeat(32)}`.replaceAll(' ', ''),
    )
    r.fill(0)
    r[1] = 0x80
    expect(hex(p1363ToDer(Buffer.concat([r, s])))).toBe(
      `3045 0220 0080${'00'.repeat(30)} 0221 00${'ff'.repeat(32)}`.replaceAll(' ', ''),
    )
  })

  it('refuses a signature that is not 64 bytes', () => {
    expect(p1363ToDer(Buffer.alloc(63, 1))).toBeUndefined()
    expect(p1363ToDer(Buffer.alloc(65, 1))).toBeUndefined()
    expect(p1363ToDer(Buffer.alloc(0))).toBeUndefined()
  })
})
