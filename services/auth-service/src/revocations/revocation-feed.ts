import type { RevocationFeed as FeedPage, RevocationEntry } from '@authpair/contracts'
import type { Database, RevocationRecord } from '@authpair/db'

export interface RevocationFeedOptions {
  db: Database
  now: () => Date
  /** How long an entry matters: the access-token lifetime plus the verifiers' clock skew, ms. */
  keepMs: number
  /** How often waiting requests look for news, ms. */
  pollMs: number
  /** Entries per answer. */
  pageSize?: number
}

interface Waiter {
  after: number
  wake: () => void
}

/**
 * The revocation feed (docs/design.md, Revocation): what every verifier needs to refuse tokens
 * of sessions that ended, without reading our database. A read answers at once when there is
 * news after the cursor, or else waits for some (long poll). One poll of the newest id serves
 * every waiting reader of this process, and only while someone waits; the rows come from the
 * database, so news written by any replica reaches readers of every replica.
 */
export class RevocationFeed {
  private readonly waiters = new Set<Waiter>()
  private poller: NodeJS.Timeout | undefined
  private polling = false
  private closed = false
  private readonly pageSize: number

  constructor(private readonly options: RevocationFeedOptions) {
    this.pageSize = options.pageSize ?? 1000
  }

  /** Entries after `after`; with none, waits up to `waitMs` (or until `signal` aborts) for some. */
  async read(after: number, waitMs: number, signal?: AbortSignal): Promise<FeedPage> {
    let page = await this.page(after)
    if (page.entries.length === 0 && waitMs > 0 && !this.closed && !signal?.aborted) {
      await this.waitForNews(after, waitMs, signal)
      page = await this.page(after)
    }
    return page
  }

  /** Drops entries no token can need any more. */
  prune(): Promise<number> {
    return this.options.db.revocations.pruneBefore(
      new Date(this.options.now().getTime() - this.options.keepMs),
    )
  }

  /** Answers every waiting reader now (shutdown must not wait for long polls). */
  close(): void {
    this.closed = true
    for (const waiter of this.waiters) waiter.wake()
  }

  private async page(after: number): Promise<FeedPage> {
    const { db } = this.options
    let rows = await db.revocations.after(after, this.pageSize + 1)
    // A cursor from beyond the newest id (the table was recreated): start the reader over.
    if (rows.length === 0 && after > 0 && after > (await db.revocations.latestId())) {
      rows = await db.revocations.after(0, this.pageSize + 1)
    }
    const more = rows.length > this.pageSize
    const shown = more ? rows.slice(0, this.pageSize) : rows
    return {
      cursor: shown.at(-1)?.id ?? after,
      entries: shown.map((row) => this.entry(row)),
      more,
    }
  }

  private entry(row: RevocationRecord): RevocationEntry {
    return {
      kind: row.kind,
      id: row.subjectId,
      user_id: row.userId,
      revoked_at: row.revokedAt.toISOString(),
      keep_until: new Date(row.revokedAt.getTime() + this.options.keepMs).toISOString(),
    }
  }

  private waitForNews(after: number, waitMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        after,
        wake: () => {
          clearTimeout(timer)
          signal?.removeEventListener('abort', waiter.wake)
          this.waiters.delete(waiter)
          if (this.waiters.size === 0) this.stopPolling()
          resolve()
        },
      }
      const timer = setTimeout(waiter.wake, waitMs)
      signal?.addEventListener('abort', waiter.wake, { once: true })
      this.waiters.add(waiter)
      this.startPolling()
    })
  }

  private startPolling(): void {
    if (this.poller) return
    this.poller = setInterval(() => void this.poll(), this.options.pollMs)
    this.poller.unref()
  }

  private stopPolling(): void {
    clearInterval(this.poller)
    this.poller = undefined
  }

  private async poll(): Promise<void> {
    if (this.polling) return // the last poll has not answered yet
    this.polling = true
    try {
      const latest = await this.options.db.revocations.latestId()
      for (const waiter of this.waiters) if (latest > waiter.after) waiter.wake()
    } catch {
      // The database is away: the waiters time out and answer with what there is (nothing).
    } finally {
      this.polling = false
    }
  }
}
