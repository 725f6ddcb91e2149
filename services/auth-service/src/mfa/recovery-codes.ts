import { createHash, randomInt } from 'node:crypto'

/**
 * Recovery codes: ten per set, each 24 characters of Crockford's base32 (120 bits), shown in
 * groups of four. ASVS 5.0 V6.5.2 lets a lookup secret of at least 112 bits be stored
 * with a plain hash (no salt, no slow KDF: guessing 2^112 is out of reach either way), so a
 * code is found by its SHA-256 in one indexed lookup, the same time whichever code is typed.
 */
export const RECOVERY_CODE_COUNT = 10
const LENGTH = 24
/** Crockford's base32: no i, l, o, u, so no 1/l or 0/o confusion when typed from paper. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'

export function newRecoveryCode(): string {
  let code = ''
  for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)]
  return code.match(/.{4}/g)?.join('-') ?? code
}

/**
 * A typed code as stored: case, spaces and hyphens ignored, and the letters Crockford maps
 * (i, l → 1; o → 0) read as the digits they look like. Undefined for anything that cannot be
 * a code (so it is refused without a lookup).
 */
export function normalizeRecoveryCode(typed: string): string | undefined {
  const code = typed.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0')
  return code.length === LENGTH && [...code].every((c) => ALPHABET.includes(c)) ? code : undefined
}

export function hashRecoveryCode(normalized: string): string {
  return createHash('sha256').update(normalized, 'utf8').digest('base64url')
}
