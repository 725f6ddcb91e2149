import type BetterSqlite3 from 'better-sqlite3'
import postgres from 'postgres'

/**
 * The user change feed (migration 0009): which users' profile rows (the user's shown columns,
 * identities, the authenticator app) changed, whoever wrote them — the auth-service, the
 * users-service, `pnpm manage`, another replica. A reader that keeps profiles in memory forgets
 * a user on `changed`, and everything on `reset` (changes may have been missed).
 */
export interface UserChangeListener {
  changed(userId: string): void
  reset(): void
}

export interface UserChangeSubscription {
  /**
   * Whether every change is being heard. While false (PostgreSQL: the listening connection is
   * down or reconnecting) a reader must not serve what it keeps; `reset` comes when it is true
   * again.
   */
  readonly live: boolean
  /**
   * Brings the listener up to date with every change committed before this call, where that is
   * cheap and synchronous: SQLite reads the feed's table (one indexed read, no rows most of the
   * time). PostgreSQL's notifications arrive by themselves, a few ms after the commit, so this
   * does nothing there.
   */
  catchUp(): void
  close(): Promise<void>
}

export interface UserChangeFeed {
  follow(listener: UserChangeListener): Promise<UserChangeSubscription>
}

/** Rows of `user_changes` kept for readers that fall behind; older ones are pruned. */
const SQLITE_KEEP_ROWS = 10_000

/**
 * SQLite: the triggers append to `user_changes`; a reader asks for the rows after the last seq
 * it saw. A reader whose position was pruned away (it fell more than SQLITE_KEEP_ROWS behind) is
 * reset. Pruning is every reader's job, at most once a minute.
 */
export function sqliteUserChanges(handle: BetterSqlite3.Database): UserChangeFeed {
  return {
    async follow(listener) {
      const after = handle.prepare<[number], { seq: number; user_id: string }>(
        'select seq, user_id from user_changes where seq > ? order by seq limit 1001',
      )
      const oldest = handle.prepare<[], { seq: number | null }>(
        'select min(seq) as seq from user_changes',
      )
      const newest = handle.prepare<[], { seq: number | null }>(
        'select max(seq) as seq from user_changes',
      )
      const prune = handle.prepare<[number]>('delete from user_changes where seq <= ?')
      let cursor = newest.get()?.seq ?? 0
      let prunedAt = 0
      let open = true
      const catchUp = () => {
        if (!open) return
        for (;;) {
          const rows = after.all(cursor)
          if (rows.length === 0) break
          if (rows.length > 1000) {
            // Far behind: start over from the newest rather than replaying every row.
            cursor = newest.get()?.seq ?? cursor
            listener.reset()
            break
          }
          const first = rows[0]?.seq ?? 0
          if (first > cursor + 1 && (oldest.get()?.seq ?? 0) > cursor + 1) {
            // Rows this reader had not seen were pruned: it may have missed some.
            listener.reset()
          } else {
            for (const row of rows) listener.changed(row.user_id)
          }
          cursor = rows.at(-1)?.seq ?? cursor
        }
        const now = Date.now()
        if (now - prunedAt > 60_000) {
          prunedAt = now
          if (cursor > SQLITE_KEEP_ROWS) prune.run(cursor - SQLITE_KEEP_ROWS)
        }
      }
      return {
        get live() {
          return open && handle.open
        },
        catchUp,
        async close() {
          open = false
        },
      }
    },
  }
}

/**
 * PostgreSQL: the triggers NOTIFY `authpair_user_changes` with the user's id. The subscription
 * holds one connection of its own (LISTEN is per session) and listens again after any loss of
 * it, retrying every `retryMs`; it is not live from the loss until the LISTEN is back, and then
 * resets the listener, since notifications sent in between were lost.
 */
export function postgresUserChanges(
  url: string,
  options: { connectTimeoutSeconds?: number; retryMs?: number } = {},
): UserChangeFeed {
  const retryMs = options.retryMs ?? 1000
  return {
    async follow(listener) {
      let live = false
      let closed = false
      let retry: NodeJS.Timeout | undefined
      const connection: postgres.Sql = postgres(url, {
        max: 1,
        idle_timeout: 0,
        max_lifetime: null,
        connect_timeout: options.connectTimeoutSeconds ?? 5,
        fetch_types: false,
        onnotice: () => {},
        // postgres.js hands notifications to this option (its own listen() uses it too), though
        // its types do not name it.
        ...({
          onnotify: (channel: string, payload: string) => {
            if (channel === 'authpair_user_changes') listener.changed(payload)
          },
        } as object),
        onclose: () => {
          if (closed) return
          live = false
          scheduleListen(0)
        },
      })
      const listen = async (): Promise<void> => {
        if (closed) return
        try {
          await connection`listen authpair_user_changes`
          if (closed) return
          live = true
          listener.reset()
        } catch {
          scheduleListen(retryMs)
        }
      }
      const scheduleListen = (delayMs: number) => {
        if (closed || retry) return
        retry = setTimeout(() => {
          retry = undefined
          void listen()
        }, delayMs)
        retry.unref()
      }
      await listen()
      return {
        get live() {
          return live && !closed
        },
        catchUp() {},
        async close() {
          closed = true
          live = false
          clearTimeout(retry)
          await connection.end({ timeout: 1 })
        },
      }
    },
  }
}
