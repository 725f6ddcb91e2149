import { createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto'
import type { PublicJwk } from '@authpair/contracts'
import { PublicJwkSchema } from '@authpair/contracts'

export type SigningAlgorithm = 'RS256' | 'ES256' | 'EdDSA'

export interface GeneratedKey {
  kid: string
  alg: SigningAlgorithm
  publicJwk: PublicJwk
  /** PKCS#8 DER: what gets encrypted and stored. */
  privateKeyDer: Buffer
}

/**
 * A fresh key pair for `alg`: RSA 2048 (RS256; NIST SP 800-57 acceptable through 2030), P-256
 * (ES256), Ed25519 (EdDSA). Generation is synchronous, but runs only on first start and on
 * rotation, never per request.
 */
export function generateSigningKey(alg: SigningAlgorithm): GeneratedKey {
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519')
  const kid = randomBytes(12).toString('base64url')
  return {
    kid,
    alg,
    publicJwk: toPublicJwk(pair.publicKey, kid, alg),
    privateKeyDer: pair.privateKey.export({ format: 'der', type: 'pkcs8' }),
  }
}

/**
 * Only the public members survive: the strict contract schema rejects anything else, so a
 * private member can never reach the JWKS even if the export changed.
 */
export function toPublicJwk(publicKey: KeyObject, kid: string, alg: SigningAlgorithm): PublicJwk {
  const jwk = publicKey.export({ format: 'jwk' })
  const picked: Record<string, unknown> = { kty: jwk.kty, kid, use: 'sig', alg }
  for (const member of ['n', 'e', 'crv', 'x', 'y'] as const) {
    if (jwk[member] !== undefined) picked[member] = jwk[member]
  }
  return PublicJwkSchema.parse(picked)
}

export function importPrivateKey(der: Buffer): KeyObject {
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
}
