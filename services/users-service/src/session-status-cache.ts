import type { Clock } from '@authpair/accounts'
import { type Database, isSessionLive } from '@authpair/db'

export interface SessionStatusCacheOptions {
  /** How long a "live" answer is reused, ms. A revoked session never comes back, so "revoked" is kept. */
  ttlMs: number
  /** Bound on remembered sessions (oldest forgotten first). Default 10000. */
  maxEntries?: number
  now: Clock
  onLookup?: (source: 'cache' | 'database') => void
}

/**
 * Immediate revocation, cheaply: whether a token's session is still live, read from the
 * database at most once per session per `ttlMs`.
 *
 * An entry is about the session alone (live or not, and whose it is), never about the token
 * that asked: the answer for a token is "live and owned by the token's sub", so a token naming
 * another user's session is refused even from the cache, and cannot leave a "not live" behind
 * that would lock the owner out.
 */
export class SessionStatusCache {
  private readonly entries = new Map<
    string,
    { live: boolean; ownerId: string | undefined; checkedAt: number }
  >()

  constructor(
    private readonly db: Database,
    private readonly options: SessionStatusCacheOptions,
  ) {}

  /** True when the session exists, is neither revoked nor expired, and belongs to `userId`. */
  async isLive(sessionId: string, userId: string): Promise<boolean> {
    const now = this.options.now().getTime()
    const cached = this.entries.get(sessionId)
    if (cached && (!cached.live || now - cached.checkedAt < this.options.ttlMs)) {
      this.options.onLookup?.('cache')
      return cached.live && cached.ownerId === userId
    }
    this.options.onLookup?.('database')
    const session = await this.db.sessions.findById(sessionId)
    const live = session !== undefined && isSessionLive(session, new Date(now))
    if (this.entries.size >= (this.options.maxEntries ?? 10_000)) {
      const oldest = this.entries.keys().next().value
      if (oldest !== undefined) this.entries.delete(oldest)
    }
    this.entries.delete(sessionId)
    this.entries.set(sessionId, { live, ownerId: session?.userId, checkedAt: now })
    return live && session?.userId === userId
  }

  /** Forget a session's answer (this service just revoked it). */
  forget(sessionId: string): void {
    this.entries.delete(sessionId)
  }
}
