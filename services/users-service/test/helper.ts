/**
 * A users-service under test on one fresh database of the run's dialect (TEST_DB), paired with a
 * stand-in issuer in place of the auth-service: the users-service fetches its JWKS over real
 * HTTP, and a signed-in user is what the auth-service leaves behind, a user row, a session row
 * and an access token for that session. The same behaviours against the real auth-service, and
 * everything that spans both services, are in e2e/.
 */
import { createHash, randomBytes } from 'node:crypto'
import { newId } from '@authpair/db'
import { createTestDatabase, type TestDatabase } from '@authpair/db/testing'
import type { FastifyInstance } from 'fastify'
import { buildUsersApp, loadUsersConfig } from '../src/app.js'
import { type StandInIssuer, startStandInIssuer } from './support/stand-in-issuer.js'

export const PASSWORD = 'cobalt-willow-parade-31'

export interface Pair {
  users: FastifyInstance
  issuer: StandInIssuer
  database: TestDatabase
  /** Creates a user (password PASSWORD) with a session that started now, and its access token. */
  userWithToken(
    role?: 'user' | 'admin',
  ): Promise<{ userId: string; sessionId: string; token: string; email: string }>
  close(): Promise<void>
}

/** The auth-service's session lifetime default (SESSION_ABSOLUTE_TTL_SECONDS), 30 days. */
const SESSION_TTL_MS = 30 * 86_400_000

export async function startUsersService(usersEnv: Record<string, string> = {}): Promise<Pair> {
  const database = await createTestDatabase()
  const config = loadUsersConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: database.url,
    RATE_LIMIT_PASSWORD_CONFIRM_PER_USER: '1000000',
    // Suites that are not about the second-factor policy call the admin API as a password-only
    // admin; test/admin-mfa-policy.test.ts runs with the default (admin).
    MFA_REQUIRED_ROLES: 'none',
    ...usersEnv,
  })
  let users: FastifyInstance | undefined
  const issuer = await startStandInIssuer({
    issuer: config.ISSUER,
    audience: config.JWT_AUDIENCE,
    // The longest the users-service accepts: the auth-service's ACCESS_TOKEN_TTL_SECONDS default.
    ttlSeconds: config.JWT_MAX_LIFETIME_SECONDS,
    revocationsAfter: async (cursor) => (users ? users.db.revocations.after(cursor, 1000) : []),
  })
  users = await buildUsersApp({ config: { ...config, JWKS_URL: issuer.jwksUrl } })
  await users.ready()
  await users.jwtVerifier.revocations?.ready
  return {
    users,
    issuer,
    database,
    async userWithToken(role = 'user') {
      const now = new Date()
      const email = `${newId()}@example.com`
      const user = await users.db.users.create({
        id: newId(),
        email,
        role,
        passwordHash: await users.passwordHasher.hash(PASSWORD),
        createdAt: now,
        updatedAt: now,
      })
      const session = await users.db.sessions.create(
        {
          id: newId(),
          userId: user.id,
          createdAt: now,
          lastUsedAt: now,
          expiresAt: new Date(now.getTime() + SESSION_TTL_MS),
          userAgent: 'vitest',
          ip: '127.0.0.1',
        },
        {
          id: newId(),
          // Only the auth-service ever reads refresh tokens: this one is never handed out.
          tokenHash: createHash('sha256').update(randomBytes(32)).digest('base64url'),
          createdAt: now,
          expiresAt: new Date(now.getTime() + SESSION_TTL_MS),
        },
      )
      const token = await issuer.accessToken({
        userId: user.id,
        sessionId: session.id,
        role: user.role,
      })
      return { userId: user.id, sessionId: session.id, token, email }
    },
    async close() {
      await users.close()
      await issuer.close()
      await database.drop()
    },
  }
}
