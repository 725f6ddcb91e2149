/**
 * DB_QUERY_TIMEOUT_MS reaches the users-service's data layer: against a PostgreSQL that accepts
 * connections and never answers, /ready fails at that deadline (well before the readiness
 * check's own 2 s) and names the database. The whole behaviour under a frozen server is shown
 * end to end in auth-service/test/postgres-freeze.test.ts; both services share packages/db.
 */
import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import { createTestDatabase } from '@authpair/db/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildUsersApp, loadUsersConfig } from '../src/app.js'

const sockets = new Set<Socket>()
const silent = createServer((socket) => {
  sockets.add(socket)
  socket.on('data', () => {})
  socket.on('close', () => sockets.delete(socket))
})
beforeAll(async () => {
  silent.listen(0, '127.0.0.1')
  await once(silent, 'listening')
})
afterAll(async () => {
  const closed = new Promise((resolve) => silent.close(resolve))
  for (const socket of sockets) socket.destroy()
  await closed
})

describe('users-service with a database that never answers', () => {
  it('answers /ready 503 naming the database at DB_QUERY_TIMEOUT_MS', async () => {
    const { port } = silent.address() as { port: number }
    const app = await buildUsersApp({
      config: loadUsersConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/none`,
        DB_QUERY_TIMEOUT_MS: '300',
      }),
    })
    try {
      await app.ready()
      const started = performance.now()
      const res = await app.inject({ method: 'GET', url: '/ready' })
      const ms = Math.round(performance.now() - started)
      console.log(
        `users-service, silent database, deadline 300 ms: /ready ${res.statusCode} in ${ms} ms`,
      )
      expect(res.statusCode).toBe(503)
      expect(res.json().checks.database.ok).toBe(false)
      // The readiness check gives up at 2 s on its own; this is the database's deadline.
      expect(ms).toBeLessThan(1500)
    } finally {
      for (const socket of sockets) socket.destroy()
      await app.close()
    }
  })
})

describe('users-service with a Redis that never answers (its limits live there)', () => {
  it('answers /ready 503 naming redis, and a limited route 503, not a hang', async () => {
    const { port } = silent.address() as { port: number }
    const database = await createTestDatabase()
    const app = await buildUsersApp({
      config: loadUsersConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATABASE_URL: database.url,
        REDIS_URL: `redis://127.0.0.1:${port}`,
        REDIS_COMMAND_TIMEOUT_MS: '200',
      }),
    })
    try {
      await app.ready()
      const ready = await app.inject({ method: 'GET', url: '/ready' })
      expect(ready.statusCode).toBe(503)
      expect(ready.json().checks.redis.ok).toBe(false)
      expect(ready.json().checks.database.ok).toBe(true)
      const limit = app.passwordConfirmLimit
      await expect(limit.assertUnder('someone')).rejects.toMatchObject({
        status: 503,
        code: 'service_unavailable',
      })
    } finally {
      for (const socket of sockets) socket.destroy()
      await app.close()
      await database.drop()
    }
  })
})
