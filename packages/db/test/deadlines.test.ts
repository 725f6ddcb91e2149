/**
 * Every PostgreSQL call has a deadline (DatabaseOptions.queryTimeoutMs). A server that accepts
 * connections but never answers must not hold a caller: the call rejects with
 * DatabaseUnavailableError (503 upstairs), the same error as an outage. On a server that does
 * answer, the server gives up on a slow statement by itself (statement_timeout) and on a
 * transaction whose client went quiet (idle_in_transaction_session_timeout).
 *
 * The silent-server tests need no PostgreSQL and run in both passes; the server-side timeouts
 * run in the PostgreSQL pass.
 */
import { once } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serverTimeouts } from '../src/database.pg.js'
import { translatePgError } from '../src/errors.js'
import {
  DatabaseUnavailableError,
  dbQueryTimeoutMsSchema,
  newId,
  openDatabase,
} from '../src/index.js'
import { createTestDatabase, type TestDatabase, testDialect } from '../src/testing.js'

const user = (email: string) => ({
  id: newId(),
  email,
  createdAt: new Date(),
  updatedAt: new Date(),
})

/** The `code` of each error in a cause chain (drizzle wraps the driver's error). */
function codesOf(error: unknown): unknown[] {
  const codes: unknown[] = []
  for (let e = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    codes.push((e as { code?: unknown }).code)
  }
  return codes
}

/** Time a promise takes to settle, and how it settled. */
async function timed<T>(work: Promise<T>) {
  const started = performance.now()
  const outcome = await work.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  )
  return { ...outcome, ms: Math.round(performance.now() - started) }
}

/**
 * A server that accepts, reads and holds: what a partitioned or frozen PostgreSQL looks like
 * from the client. `stop` refuses new connections and drops the held ones, so a pool stuck on it
 * can close at once instead of waiting out its own end timeout.
 */
async function silentServer() {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('data', () => {})
    socket.on('close', () => sockets.delete(socket))
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `postgres://postgres@127.0.0.1:${(server.address() as { port: number }).port}/none`,
    async stop() {
      const closed = new Promise((resolve) => server.close(resolve))
      for (const socket of sockets) socket.destroy()
      await closed
    },
  }
}

describe('a PostgreSQL server that accepts connections and never answers', () => {
  it('fails repository calls and ping (the /ready check) with DatabaseUnavailableError at the deadline, not at connect_timeout', async () => {
    const silent = await silentServer()
    const db = openDatabase({ dialect: 'postgres', url: silent.url }, { queryTimeoutMs: 300 })
    try {
      const calls = await Promise.all([
        timed(db.users.findByEmail('nobody@example.com')),
        timed(db.sessions.findById(newId())),
        timed(db.users.create(user('silent@example.com'))),
        timed(db.ping()),
      ])
      console.log(
        `silent server, deadline 300 ms: 3 calls and a ping failed after ${calls.map((c) => c.ms).join(', ')} ms (connect_timeout is 5 s)`,
      )
      for (const call of calls) {
        expect(call.ok).toBe(false)
        expect(call.ok ? undefined : call.error).toBeInstanceOf(DatabaseUnavailableError)
        // connect_timeout (5 s) would also end them: answered well before it, it is the deadline.
        expect(call.ms).toBeLessThan(4000)
      }
    } finally {
      // postgres.js waits out end()'s own 5 s for a connection still connecting: that is the
      // pool's shutdown bound on a dead server, not part of what is measured here.
      await silent.stop()
      await db.close()
    }
  })

  it('refuses a deadline that is not a positive whole number of milliseconds', () => {
    const url = 'postgres://postgres@127.0.0.1:1/none'
    for (const queryTimeoutMs of [0, -1, 1.5, Number.NaN]) {
      expect(() => openDatabase({ dialect: 'postgres', url }, { queryTimeoutMs })).toThrow(
        TypeError,
      )
    }
  })

  it('reads DB_QUERY_TIMEOUT_MS as whole milliseconds between 100 and 60000, default 3000', () => {
    expect(dbQueryTimeoutMsSchema.parse(undefined)).toBe(3000)
    expect(dbQueryTimeoutMsSchema.parse('1500')).toBe(1500)
    for (const bad of ['0', '99', '60001', '2.5', 'soon']) {
      expect(dbQueryTimeoutMsSchema.safeParse(bad).success).toBe(false)
    }
  })
})

describe.skipIf(testDialect() !== 'postgres')(
  'server-side timeouts (runs in the PostgreSQL pass)',
  () => {
    let testDb: TestDatabase
    beforeAll(async () => {
      testDb = await createTestDatabase('postgres')
    })
    afterAll(async () => {
      await testDb?.drop()
    })

    it('has the server end a statement stuck on a lock (statement_timeout), and the connection stays usable', async () => {
      // statement_timeout is 80 % of the deadline: 4 s against 5 s leaves a second for the
      // server's answer to arrive first on a loaded machine.
      const db = openDatabase(testDb.target, { queryTimeoutMs: 5000, poolMax: 1 })
      const holder = postgres(testDb.url, { max: 1, onnotice: () => {} })
      try {
        const created = await db.users.create(user('locked@example.com'))
        let release: () => void = () => {}
        const released = new Promise<void>((resolve) => {
          release = resolve
        })
        let locked: () => void = () => {}
        const isLocked = new Promise<void>((resolve) => {
          locked = resolve
        })
        const holding = holder.begin(async (tx) => {
          await tx`select id from users where id = ${created.id} for update`
          locked()
          await released
        })
        await isLocked
        const blocked = await timed(
          db.users.update(created.id, { name: 'waits for the lock', updatedAt: new Date() }),
        )
        release()
        await holding
        console.log(`statement blocked on a row lock: ended by the server after ${blocked.ms} ms`)
        expect(blocked.ok).toBe(false)
        const error = blocked.ok ? undefined : blocked.error
        expect(error).toBeInstanceOf(DatabaseUnavailableError)
        // The server's answer (SQLSTATE 57014, query_canceled), not the client's deadline.
        expect(codesOf(error)).toContain('57014')
        // The pool's only connection answers the next call.
        const updated = await db.users.update(created.id, {
          name: 'after the lock',
          updatedAt: new Date(),
        })
        expect(updated?.name).toBe('after the lock')
      } finally {
        await holder.end({ timeout: 5 })
        await db.close()
      }
    })

    it('has the server end a transaction left idle by its client (idle_in_transaction_session_timeout)', async () => {
      const client = postgres(testDb.url, {
        max: 1,
        connection: serverTimeouts(500),
        fetch_types: false,
        onnotice: () => {},
      })
      try {
        const [settings] = await client<{ statement: string; idle: string }[]>`
          select current_setting('statement_timeout') as statement,
                 current_setting('idle_in_transaction_session_timeout') as idle`
        expect(settings).toEqual({ statement: '400ms', idle: '500ms' })
        const abandoned = client.begin(async (tx) => {
          await tx`select 1`
          await new Promise((resolve) => setTimeout(resolve, 1500))
          await tx`select 1`
        })
        const ended = await abandoned.then(
          () => undefined,
          (error: unknown) => error,
        )
        // 25P03 idle_in_transaction_session_timeout, or the connection it closed.
        expect(codesOf(ended)).toContainEqual(expect.stringMatching(/^(25P03|CONNECTION_CLOSED)$/))
        expect(translatePgError(ended)).toBeInstanceOf(DatabaseUnavailableError)
        // The pool reconnects: the client is usable afterwards.
        expect(await client`select 1 as one`).toEqual([{ one: 1 }])
      } finally {
        await client.end({ timeout: 5 })
      }
    })
  },
)
