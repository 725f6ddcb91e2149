import { openWithKek, sealWithKek } from '../keys/key-encryption.js'

/**
 * TOTP secrets at rest: sealed with the key-encryption key exactly as the signing keys are
 * (AES-256-GCM, keys/key-encryption.ts), bound to their user through the additional data
 * (`totp:<user id>`), so a sealed secret copied into another user's row does not open. A
 * database dump without the KEK holds no usable secret.
 */
export class TotpSecretSeal {
  readonly #kek: Buffer

  constructor(kek: Buffer) {
    this.#kek = kek
  }

  seal(userId: string, secret: Buffer): string {
    return sealWithKek(this.#kek, `totp:${userId}`, secret)
  }

  /** KeyDecryptionError for a value that does not open (another KEK, another user's row). */
  open(userId: string, sealed: string): Buffer {
    return openWithKek(this.#kek, `totp:${userId}`, sealed, `the authenticator secret of ${userId}`)
  }
}
