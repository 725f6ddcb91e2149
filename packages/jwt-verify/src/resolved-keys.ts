import type { KeyObject } from 'node:crypto'

/** Resolves a token's key in-process (the auth-service verifying its own tokens). */
export type KeyResolver = (kid: string, alg: string) => Promise<KeyObject>

/**
 * How long a keyResolver's answer for a kid stands before a remembered token under that kid
 * asks again, milliseconds. The JWKS cache knows when its key set changes (a fetch); a resolver
 * does not say, so it is asked. Once a second per kid costs nothing next to the verifications
 * it saves, and a key the resolver stops returning stops its remembered tokens within a second
 * (the resolver's own source, e.g. the auth-service's KeyStore refresh, has its own delay).
 */
export const KEY_RECHECK_MS = 1000

/**
 * A keyResolver's equivalent of the JWKS cache's current key set: the key each kid last
 * resolved to. An unchanged key keeps its first KeyObject, so a remembered token compares its
 * key by identity (a Map lookup) on the hot path.
 */
export class ResolvedKeys {
  private readonly keys = new Map<string, { key: KeyObject; checkedAt: number }>()

  constructor(
    private readonly resolver: KeyResolver,
    private readonly now: () => number,
    /** Told of a kid whose key went or changed, so the tokens it verified can be forgotten. */
    private readonly onChange: (kid: string) => void,
  ) {}

  /** Asks the resolver (its errors propagate) and records the answer. */
  async resolve(kid: string, alg: string): Promise<KeyObject> {
    let key: KeyObject
    try {
      key = await this.resolver(kid, alg)
    } catch (error) {
      if (this.keys.delete(kid)) this.onChange(kid)
      throw error
    }
    const known = this.keys.get(kid)?.key
    const same = known !== undefined && (known === key || known.equals(key))
    if (known !== undefined && !same) this.onChange(kid)
    const current = same ? known : key
    this.keys.set(kid, { key: current, checkedAt: this.now() })
    return current
  }

  /** The key recorded for kid while its answer is under KEY_RECHECK_MS old; otherwise undefined. */
  fresh(kid: string): KeyObject | undefined {
    const known = this.keys.get(kid)
    return known && this.now() - known.checkedAt < KEY_RECHECK_MS ? known.key : undefined
  }

  /** Asks the resolver again: kid's key now, or undefined when it no longer resolves. */
  async recheck(kid: string, alg: string): Promise<KeyObject | undefined> {
    try {
      return await this.resolve(kid, alg)
    } catch {
      return undefined
    }
  }
}
