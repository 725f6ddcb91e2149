import { randomBytes } from 'node:crypto'
import { createTestDatabase } from '@authpair/db/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { decryptPrivateKey, encryptPrivateKey } from '../src/keys/key-encryption.js'
import { buildTestApp, randomKek } from './helper.js'

const cleanups: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

async function jwksOf(app: {
  inject: (o: { method: 'GET'; url: string }) => Promise<{ json(): unknown }>
}) {
  return (await app.inject({ method: 'GET', url: '/auth/.well-known/jwks.json' })).json() as {
    keys: { kid: string; kty: string; alg: string; crv?: string }[]
  }
}

describe('signing keys', () => {
  it('keeps the first key across restarts: a second start reuses it instead of generating', async () => {
    const database = await createTestDatabase()
    cleanups.push(() => database.drop())
    const kek = randomKek()
    const first = await buildTestApp({ KEY_ENCRYPTION_KEY: kek }, { database })
    const before = await jwksOf(first.app)
    await first.close()
    const second = await buildTestApp({ KEY_ENCRYPTION_KEY: kek }, { database })
    cleanups.push(() => second.close())
    expect(await jwksOf(second.app)).toEqual(before)
    expect(second.app.keys.activeKey().kid).toBe(before.keys[0]?.kid)
  })

  it('stores the private half encrypted: the row holds no PKCS#8 key in the clear', async () => {
    const t = await buildTestApp()
    cleanups.push(() => t.close())
    const [row] = await t.app.db.signingKeys.list()
    expect(row?.privateKeyEnc).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(row?.privateKeyEnc).not.toContain('PRIVATE KEY')
  })

  it('refuses to start with a key-encryption key that does not decrypt the stored keys', async () => {
    const database = await createTestDatabase()
    cleanups.push(() => database.drop())
    const first = await buildTestApp({ KEY_ENCRYPTION_KEY: randomKek() }, { database })
    await first.close()
    await expect(buildTestApp({ KEY_ENCRYPTION_KEY: randomKek() }, { database })).rejects.toThrow(
      /KEY_ENCRYPTION_KEY is not the key it was stored with/,
    )
  })

  it.each([
    ['ES256', { kty: 'EC', crv: 'P-256', alg: 'ES256' }],
    ['EdDSA', { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' }],
  ])('generates %s keys when JWT_ALG says so', async (alg, expected) => {
    const t = await buildTestApp({ JWT_ALG: alg })
    cleanups.push(() => t.close())
    const { keys } = await jwksOf(t.app)
    expect(keys[0]).toMatchObject(expected)
    expect(keys[0]).not.toHaveProperty('d')
  })
})

describe('key encryption at rest', () => {
  const kek = randomBytes(32)
  const secret = Buffer.from('pkcs8 bytes')

  it('round-trips', () => {
    expect(decryptPrivateKey(kek, 'kid-1', encryptPrivateKey(kek, 'kid-1', secret))).toEqual(secret)
  })

  it('binds the ciphertext to its kid: moved to another row it does not decrypt', () => {
    const sealed = encryptPrivateKey(kek, 'kid-1', secret)
    expect(() => decryptPrivateKey(kek, 'kid-2', sealed)).toThrow(/cannot be decrypted/)
  })

  it('detects a tampered ciphertext', () => {
    const sealed = encryptPrivateKey(kek, 'kid-1', secret)
    const parts = sealed.split('.')
    const ct = Buffer.from(parts[2] ?? '', 'base64url')
    ct[0] = (ct[0] ?? 0) ^ 1
    parts[2] = ct.toString('base64url')
    expect(() => decryptPrivateKey(kek, 'kid-1', parts.join('.'))).toThrow(/cannot be decrypted/)
  })
})
