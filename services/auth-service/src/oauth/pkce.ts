import { createHash, randomBytes } from 'node:crypto'

/** RFC 7636 §4.1: 32 random bytes, base64url (43 characters, within 43..128). */
export function newCodeVerifier(): string {
  return randomBytes(32).toString('base64url')
}

/** RFC 7636 §4.2: S256 challenge. */
export function codeChallengeS256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url')
}

export function randomValue(): string {
  return randomBytes(32).toString('base64url')
}
