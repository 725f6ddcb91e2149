import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Private signing keys are stored encrypted with AES-256-GCM under the key-encryption key (KEK).
 * The kid is the additional authenticated data, so a ciphertext moved to another row fails to
 * decrypt instead of signing under the wrong kid.
 *
 * Format: `v1.<iv>.<ciphertext>.<tag>`, each part base64url; a 96-bit random IV (NIST SP 800-38D
 * §8.2.2; a handful of keys per KEK is far below the 2^32 random-IV bound).
 */
const VERSION = 'v1'

export class KeyDecryptionError extends Error {
  readonly code = 'key_decryption_failed'
}

/**
 * AES-256-GCM under the KEK, bound to `associatedData` (what the secret belongs to: a kid, a
 * user's authenticator), in the `v1.<iv>.<ciphertext>.<tag>` format. The signing keys and the
 * TOTP secrets are sealed with it; the associated data of each kind is prefixed so that one
 * kind's ciphertext never opens as another's.
 */
export function sealWithKek(kek: Buffer, associatedData: string, plaintext: Buffer): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', kek, iv)
  cipher.setAAD(Buffer.from(associatedData, 'utf8'))
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  const tag = cipher.getAuthTag()
  return [VERSION, iv, ciphertext, tag]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.')
}

/** Opens what sealWithKek sealed; KeyDecryptionError (naming `what`) when it does not open. */
export function openWithKek(
  kek: Buffer,
  associatedData: string,
  sealed: string,
  what: string,
): Buffer {
  const [version, iv, ciphertext, tag] = sealed.split('.')
  if (version !== VERSION || !iv || !ciphertext || !tag) {
    throw new KeyDecryptionError(`${what}: unknown encryption format`)
  }
  try {
    // The tag length is pinned: GCM would otherwise accept a truncated (weaker) tag.
    const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(iv, 'base64url'), {
      authTagLength: 16,
    })
    decipher.setAAD(Buffer.from(associatedData, 'utf8'))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()])
  } catch (error) {
    throw new KeyDecryptionError(
      `${what} cannot be decrypted: KEY_ENCRYPTION_KEY is not the key it was stored with`,
      { cause: error },
    )
  }
}

export function encryptPrivateKey(kek: Buffer, kid: string, plaintext: Buffer): string {
  return sealWithKek(kek, kid, plaintext)
}

export function decryptPrivateKey(kek: Buffer, kid: string, sealed: string): Buffer {
  return openWithKek(kek, kid, sealed, `signing key ${kid}`)
}

export const KEK_FILE_NAME = 'key-encryption.key'

/**
 * The KEK from configuration; in development without one, the key kept in DATA_DIR (made on
 * first start, readable by the owner only). Production refuses to start without it (the config
 * schema enforces that), so this fallback never runs there.
 */
export function resolveKeyEncryptionKey(
  configured: string | undefined,
  dataDir: string,
): {
  key: Buffer
  source: 'environment' | 'generated' | 'file'
} {
  if (configured) return { key: Buffer.from(configured, 'base64url'), source: 'environment' }
  const path = join(dataDir, KEK_FILE_NAME)
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8').trim()
    const key = Buffer.from(text, 'base64url')
    if (key.length !== 32) throw new Error(`${path} does not hold a 32-byte base64url key`)
    return { key, source: 'file' }
  }
  mkdirSync(dataDir, { recursive: true })
  const key = randomBytes(32)
  // 'wx' fails if another process created the file in between; then read theirs.
  try {
    writeFileSync(path, `${key.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' })
    chmodSync(path, 0o600)
    return { key, source: 'generated' }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return resolveKeyEncryptionKey(undefined, dataDir)
    }
    throw error
  }
}
