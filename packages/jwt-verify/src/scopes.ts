import { InsufficientScopeError } from './errors.js'
import type { VerifiedToken } from './verifier.js'

/**
 * RFC 6749 §3.3's scope-token: printable ASCII without space, `"` or `\`. Checked for the scopes
 * a caller requires, so a name that could break out of the WWW-Authenticate quoted string (or
 * a typo with a space in it) fails at start-up, not in a response header.
 */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/** Throws a TypeError unless `scopes` is a non-empty list of RFC 6749 §3.3 scope-tokens. */
export function checkScopeNames(scopes: readonly string[], caller: string): void {
  if (scopes.length === 0) throw new TypeError(`${caller} needs at least one scope`)
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
      throw new TypeError(`${caller}: ${JSON.stringify(scope)} is not an RFC 6749 scope-token`)
    }
  }
}

/**
 * Whether the token carries every one of `scopes` (its `scope` claim, either kind of token).
 * False for no token. A TypeError for no scopes: "needs nothing" is never what a caller meant.
 */
export function hasScopes(
  token: Pick<VerifiedToken, 'scopes'> | null | undefined,
  ...scopes: string[]
): boolean {
  if (scopes.length === 0) throw new TypeError('hasScopes needs at least one scope')
  if (!token) return false
  for (const scope of scopes) if (!token.scopes.includes(scope)) return false
  return true
}

/**
 * Throws InsufficientScopeError (403 `insufficient_scope`, with its RFC 6750 challenge) unless
 * the token carries every one of `scopes`.
 */
export function assertScopes(token: Pick<VerifiedToken, 'scopes'>, ...scopes: string[]): void {
  checkScopeNames(scopes, 'assertScopes')
  if (!hasScopes(token, ...scopes)) throw new InsufficientScopeError(scopes)
}
