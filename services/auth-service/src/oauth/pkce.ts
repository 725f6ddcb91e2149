import { createHash, randomBytes } from 'node:crypto'

// PKCE between the client app and us (RFC 7636): the app's verifier is checked against its
// challenge at POST /auth/oauth/exchange. PKCE between us and the provider is @fastify/oauth2's
// (provider-flow.ts). The tests play the client app with these same functions.

/**
 * RFC 7636 §4.1: 32 random bytes, base64url (43 characters, within 43..128). A client app's
 * part: only the tests, playing the app, call it.
 */
export function newCodeVerifier(): string {
  return randomBytes(32).toString('base64url')
}

/** RFC 7636 §4.2: S256 challenge. */
export function codeChallengeS256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url')
}

/** 256 bits, base64url: the provider state and the OIDC nonce. */
export function randomValue(): string {
  return randomBytes(32).toString('base64url')
}
