import { createHash, randomBytes } from 'node:crypto'

/**
 * 256 bits from the CSPRNG, base64url: refresh tokens, the tokens of reset and verification
 * links, and OAuth login codes.
 */
export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * What the database stores instead of the token: SHA-256, base64url. A plain hash suffices
 * (no salt, no slow KDF): the input already has 256 bits of entropy, and lookups by hash must
 * be exact.
 */
export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url')
}
