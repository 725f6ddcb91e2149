import { JwtVerifyError } from './errors.js'
import type { VerifiedToken } from './verifier.js'

/** Following the auth-service's revocation feed (`revocation` option of createVerifier). */
export interface RevocationOptions {
  /** The feed: the auth-service's own port, e.g. http://auth-service:3001/revocations. */
  url: string
  /** Seconds each request waits for news (long poll). Default 25 (1–60). */
  waitSeconds?: number
  /** Milliseconds before asking again after a failed request. Default 1000. */
  retryMs?: number
  /**
   * Seconds without a successful answer after which every verification fails with
   * `revocation_stale` (503 in the plugin). Default: none, keep verifying on the last state.
   */
  failClosedAfterSeconds?: number
  /** Entries kept at most; past it the soonest-expiring are dropped. Default 1,000,000. */
  maxEntries?: number
  /** Told of each answer and each failure: log them, count them. */
  onEvent?: (event: RevocationEvent) => void
}

export type RevocationEvent =
  | { type: 'synced'; entries: number; cursor: number }
  | { type: 'sync_failed'; error: Error; staleForMs: number }
  | { type: 'entries_dropped'; dropped: number }

/** What the follower knows, for metrics and readiness. */
export interface RevocationStatus {
  /** The feed's cursor after the last answer. */
  cursor: number
  /** Sessions and users remembered as revoked. */
  entries: number
  /** When the last answer came (ms since the epoch), or undefined before the first. */
  lastSyncAt: number | undefined
  /** Milliseconds since the last answer (or since the start, before the first). */
  staleForMs: number
}

interface FeedEntry {
  kind: 'session' | 'user'
  id: string
  revoked_at: string
  keep_until: string
}

/**
 * A bounded in-memory copy of the revocation feed, followed by long polling: checking a token
 * against it is two Map lookups, no I/O. Entries are forgotten once no token they concern can
 * still be valid (the feed says when). When the feed is unreachable, verification goes on with
 * the last state and the staleness is reported (`status()`, `onEvent`), unless
 * `failClosedAfterSeconds` says otherwise; the cursor makes sure nothing is missed on return.
 */
export class RevocationFollower {
  /** session id → keep until (ms). */
  private readonly sessions = new Map<string, number>()
  /** user id → tokens issued until this (ms) are revoked; and keep until (ms). */
  private readonly users = new Map<string, { at: number; until: number }>()
  private cursor = 0
  private lastSyncAt: number | undefined
  private readonly startedAt: number
  private readonly abort = new AbortController()
  private readonly waitSeconds: number
  private readonly retryMs: number
  private readonly failClosedAfterMs: number | undefined
  private readonly maxEntries: number
  private firstSync: () => void = () => {}
  private lastSweep = 0
  /** Resolves after the first answer from the feed. */
  readonly ready: Promise<void>

  constructor(
    private readonly options: RevocationOptions,
    private readonly now: () => number,
  ) {
    if (typeof options.url !== 'string' || !/^https?:\/\//.test(options.url)) {
      throw new TypeError('revocation.url must be an http(s) URL')
    }
    this.waitSeconds = options.waitSeconds ?? 25
    if (!Number.isInteger(this.waitSeconds) || this.waitSeconds < 1 || this.waitSeconds > 60) {
      throw new TypeError('revocation.waitSeconds must be an integer from 1 to 60')
    }
    this.retryMs = options.retryMs ?? 1000
    if (!(this.retryMs >= 0)) throw new TypeError('revocation.retryMs must be 0 or more')
    this.failClosedAfterMs =
      options.failClosedAfterSeconds === undefined
        ? undefined
        : options.failClosedAfterSeconds * 1000
    if (this.failClosedAfterMs !== undefined && !(this.failClosedAfterMs > 0)) {
      throw new TypeError('revocation.failClosedAfterSeconds must be over 0')
    }
    this.maxEntries = options.maxEntries ?? 1_000_000
    if (!(this.maxEntries > 0)) throw new TypeError('revocation.maxEntries must be over 0')
    this.startedAt = now()
    this.ready = new Promise((resolve) => {
      this.firstSync = resolve
    })
    void this.follow()
  }

  /** Throws `token_revoked` for a token of an ended session or a disabled user. */
  check(token: VerifiedToken): void {
    if (this.failClosedAfterMs !== undefined && this.staleForMs() > this.failClosedAfterMs) {
      throw new JwtVerifyError(
        'revocation_stale',
        'the revocation feed has not answered for too long (failClosedAfterSeconds)',
      )
    }
    if (token.kind !== 'user') return
    if (this.sessions.has(token.sessionId)) {
      throw new JwtVerifyError('token_revoked', 'the token’s session has ended')
    }
    const user = this.users.get(token.userId)
    if (user !== undefined && token.claims.iat * 1000 <= user.at) {
      throw new JwtVerifyError('token_revoked', 'the token’s user was disabled after it was issued')
    }
  }

  status(): RevocationStatus {
    return {
      cursor: this.cursor,
      entries: this.sessions.size + this.users.size,
      lastSyncAt: this.lastSyncAt,
      staleForMs: this.staleForMs(),
    }
  }

  /** Stops following (the pending request is aborted). */
  close(): void {
    this.abort.abort()
  }

  private staleForMs(): number {
    return this.now() - (this.lastSyncAt ?? this.startedAt)
  }

  private async follow(): Promise<void> {
    const signal = this.abort.signal
    while (!signal.aborted) {
      try {
        const url = `${this.options.url}?after=${this.cursor}&wait=${this.waitSeconds}`
        const response = await fetch(url, {
          signal: AbortSignal.any([signal, AbortSignal.timeout((this.waitSeconds + 10) * 1000)]),
          headers: { accept: 'application/json' },
        })
        if (!response.ok) throw new Error(`the revocation feed answered ${response.status}`)
        const page = (await response.json()) as { cursor?: unknown; entries?: unknown }
        if (typeof page.cursor !== 'number' || !Array.isArray(page.entries)) {
          throw new Error('the revocation feed answered something else than a feed page')
        }
        this.apply(page.entries as FeedEntry[])
        this.cursor = page.cursor
        this.lastSyncAt = this.now()
        this.options.onEvent?.({
          type: 'synced',
          entries: page.entries.length,
          cursor: this.cursor,
        })
        this.firstSync()
      } catch (error) {
        if (signal.aborted) return
        this.options.onEvent?.({
          type: 'sync_failed',
          error: error instanceof Error ? error : new Error(String(error)),
          staleForMs: this.staleForMs(),
        })
        await new Promise((resolve) => setTimeout(resolve, this.retryMs).unref())
      }
    }
  }

  private apply(entries: readonly FeedEntry[]): void {
    const now = this.now()
    for (const entry of entries) {
      const until = Date.parse(entry.keep_until)
      if (!(until > now) || typeof entry.id !== 'string') continue
      if (entry.kind === 'session') {
        this.sessions.set(entry.id, until)
      } else if (entry.kind === 'user') {
        const at = Date.parse(entry.revoked_at)
        const known = this.users.get(entry.id)
        if (!known || at > known.at) this.users.set(entry.id, { at, until })
      }
    }
    this.forgetExpired(now)
  }

  /** Drops what no valid token can need; past maxEntries, the soonest-expiring too. */
  private forgetExpired(now: number): void {
    const over = this.sessions.size + this.users.size > this.maxEntries
    // A sweep reads every entry: at most once a second, unless the bound is passed.
    if (!over && now - this.lastSweep < 1000) return
    this.lastSweep = now
    for (const [id, until] of this.sessions) if (until <= now) this.sessions.delete(id)
    for (const [id, user] of this.users) if (user.until <= now) this.users.delete(id)
    const excess = this.sessions.size + this.users.size - this.maxEntries
    if (excess <= 0) return
    // Maps keep insertion order, which is feed order: the first entries expire first.
    let dropped = 0
    for (const id of this.sessions.keys()) {
      if (dropped >= excess) break
      this.sessions.delete(id)
      dropped++
    }
    this.options.onEvent?.({ type: 'entries_dropped', dropped })
  }
}
