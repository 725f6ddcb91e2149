import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { type Algorithm, hash, verify } from '@node-rs/argon2'
import { djangoHashScheme, verifyDjangoHash } from './django-hashes.js'

/** Algorithm.Argon2id: the binding's enum is a const enum, which verbatimModuleSyntax cannot import. */
const ARGON2ID = 2 as Algorithm

export interface Argon2Parameters {
  /** Memory cost, KiB. */
  memoryKib: number
  iterations: number
  parallelism: number
  /**
   * How many hashes or verifications run at once; the rest wait their turn in arrival order.
   * Default: the cores this process may use (os.availableParallelism()). More than that buys
   * no throughput (the work is CPU-bound) but costs memoryKib each and holds libuv pool
   * threads that DNS, file and other crypto work need.
   */
  maxConcurrent?: number
}

/** OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, parallelism 1. */
export const OWASP_ARGON2: Argon2Parameters = { memoryKib: 19_456, iterations: 2, parallelism: 1 }

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/

/**
 * argon2id through @node-rs/argon2, which hashes on the libuv thread pool (never on the event
 * loop). Hashes are PHC strings that carry their parameters, so a hash made under older
 * parameters is recognised and upgraded at the next successful login.
 */
export class PasswordHasher {
  private dummy: Promise<string> | undefined
  private readonly maxConcurrent: number
  private active = 0
  private readonly waiting: (() => void)[] = []

  constructor(private readonly params: Argon2Parameters) {
    this.maxConcurrent = params.maxConcurrent ?? availableParallelism()
    if (!Number.isInteger(this.maxConcurrent) || this.maxConcurrent < 1) {
      throw new TypeError('maxConcurrent must be a positive integer')
    }
  }

  /** Hashes or verifications running now, and waiting for a turn (for metrics and tests). */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length }
  }

  hash(password: string): Promise<string> {
    return this.limited(() =>
      hash(password, {
        algorithm: ARGON2ID,
        memoryCost: this.params.memoryKib,
        timeCost: this.params.iterations,
        parallelism: this.params.parallelism,
      }),
    )
  }

  /** Runs task when one of maxConcurrent slots is free; a finished task hands its slot on. */
  private async limited<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.maxConcurrent) this.active++
    else await new Promise<void>((resolve) => this.waiting.push(resolve))
    try {
      return await task()
    } finally {
      const next = this.waiting.shift()
      if (next) next()
      else this.active--
    }
  }

  /**
   * Whether `password` matches; `needsRehash` when the hash was made with other parameters, or
   * is not ours at all: an imported Django hash (django-hashes.ts) is verified with its own
   * algorithm and parameters, and always needs re-hashing. Every verification takes a turn.
   */
  async verify(
    stored: string,
    password: string,
  ): Promise<{ valid: boolean; needsRehash: boolean }> {
    if (djangoHashScheme(stored)) {
      const valid = await this.limited(() => verifyDjangoHash(stored, password))
      return { valid, needsRehash: valid }
    }
    let valid = false
    try {
      valid = await this.limited(() => verify(stored, password))
    } catch {
      valid = false // a malformed stored hash never verifies
    }
    return { valid, needsRehash: valid && this.needsRehash(stored) }
  }

  /**
   * What a stored hash is, for the audit trail of an upgrade: `argon2id`, or `django_<scheme>`
   * for an imported one; never the hash itself.
   */
  static schemeOf(stored: string): string {
    const django = djangoHashScheme(stored)
    if (django) return `django_${django}`
    return PHC.test(stored) ? 'argon2id' : 'unknown'
  }

  needsRehash(phc: string): boolean {
    const match = PHC.exec(phc)
    if (!match) return true
    const [, m, t, p] = match
    return (
      Number(m) !== this.params.memoryKib ||
      Number(t) !== this.params.iterations ||
      Number(p) !== this.params.parallelism
    )
  }

  /**
   * The work of one verification, for a login whose email is unknown (or has no password): the
   * answer then takes as long as a wrong password's, so timing does not reveal which emails
   * exist.
   */
  async burn(password: string): Promise<void> {
    this.dummy ??= this.hash(randomBytes(16).toString('base64url'))
    await this.verify(await this.dummy, password)
  }
}
