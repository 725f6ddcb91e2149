/**
 * The auth-service goes away and comes back: a verifier following the revocation feed keeps
 * verifying with its cached keys and its last revocation state, says it is stale, and once the
 * service is back it learns of what was revoked meanwhile (the cursor misses nothing). With
 * failClosedAfterSeconds it refuses instead, and recovers too.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildAuthApp, loadAuthConfig } from '@authpair/auth-service'
import { newId, openDatabase } from '@authpair/db'
import { createTestDatabase, type TestDatabase } from '@authpair/db/testing'
import { createVerifier, isJwtVerifyError, type Verifier } from '@authpair/jwt-verify'
import { freePort } from '@authpair/service-kit/testing'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let database: TestDatabase
let dataDir: string
let port: number
let base: string
let env: Record<string, string>
let auth: FastifyInstance | undefined
const verifiers: Verifier[] = []

async function startAuth(): Promise<FastifyInstance> {
  const app = await buildAuthApp({ config: loadAuthConfig(env) })
  await app.listen({ host: '127.0.0.1', port })
  return app
}

beforeAll(async () => {
  database = await createTestDatabase()
  dataDir = mkdtempSync(join(tmpdir(), 'authpair-outage-'))
  port = await freePort()
  base = `http://127.0.0.1:${port}`
  env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    ISSUER: base,
    // The same key-encryption key across restarts: the signing keys survive, as in production.
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    REVOCATION_FEED_POLL_MS: '20',
  }
  auth = await startAuth()
})

afterAll(async () => {
  for (const verifier of verifiers) verifier.close()
  await auth?.close()
  await database?.drop()
  rmSync(dataDir, { recursive: true, force: true })
})

function follower(extra: { failClosedAfterSeconds?: number } = {}) {
  const verifier = createVerifier({
    jwksUrl: `${base}/.well-known/jwks.json`,
    issuer: base,
    audience: 'authpair-api',
    revocation: { url: `${base}/revocations`, waitSeconds: 1, retryMs: 50, ...extra },
  })
  verifiers.push(verifier)
  return verifier
}

async function signedIn(app: FastifyInstance) {
  const now = new Date()
  const user = await app.db.users.create({
    id: newId(),
    email: `${newId()}@example.com`,
    createdAt: now,
    updatedAt: now,
  })
  const pair = await app.accounts.startSession(
    user,
    { ip: '127.0.0.1', userAgent: 'vitest', requestId: newId() },
    ['pwd'],
  )
  return { userId: user.id, token: pair.access_token }
}

const refusal = (verifier: Verifier, token: string) =>
  verifier.verify(token).then(
    () => undefined,
    (error: unknown) => (isJwtVerifyError(error) ? error.code : String(error)),
  )

async function until(what: string, check: () => Promise<boolean>, ms = 5000) {
  const start = Date.now()
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('a verifier following the feed while the auth-service is down', () => {
  it('keeps verifying on its last state, then catches up with what was revoked meanwhile', async () => {
    if (!auth) throw new Error('no auth-service')
    const verifier = follower()
    const strict = follower({ failClosedAfterSeconds: 1 })
    await verifier.revocations?.ready
    await strict.revocations?.ready
    const kept = await signedIn(auth)
    const revokedBefore = await signedIn(auth)
    const revokedDuring = await signedIn(auth)
    await auth.db.sessions.revokeAllForUser(revokedBefore.userId, {
      now: new Date(),
      reason: 'logout',
    })
    await until(
      'the revocation before the outage arrives',
      async () => (await refusal(verifier, revokedBefore.token)) === 'token_revoked',
    )
    for (const token of [kept.token, revokedDuring.token]) {
      expect(await refusal(verifier, token)).toBeUndefined()
      expect(await refusal(strict, token)).toBeUndefined()
    }

    await auth.close()
    auth = undefined
    // Down: a session ends anyway (the users-service, or a replica, still writes).
    const db = openDatabase(database.target)
    try {
      await db.sessions.revokeAllForUser(revokedDuring.userId, {
        now: new Date(),
        reason: 'admin',
      })
    } finally {
      await db.close()
    }
    await new Promise((resolve) => setTimeout(resolve, 1500))
    // Cached keys and the last state: verification goes on, and says it is stale.
    expect(await refusal(verifier, kept.token)).toBeUndefined()
    expect(await refusal(verifier, revokedBefore.token)).toBe('token_revoked')
    expect(await refusal(verifier, revokedDuring.token)).toBeUndefined()
    expect(verifier.revocations?.status().staleForMs).toBeGreaterThan(1000)
    // Fail-closed: past its second, nothing verifies.
    expect(await refusal(strict, kept.token)).toBe('revocation_stale')

    auth = await startAuth()
    await until(
      'the revocation during the outage arrives',
      async () => (await refusal(verifier, revokedDuring.token)) === 'token_revoked',
    )
    expect(await refusal(verifier, kept.token)).toBeUndefined()
    expect(verifier.revocations?.status().staleForMs).toBeLessThan(2000)
    await until(
      'the fail-closed verifier recovers',
      async () => (await refusal(strict, kept.token)) === undefined,
    )
    expect(await refusal(strict, revokedDuring.token)).toBe('token_revoked')
  })
})
