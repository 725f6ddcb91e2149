/**
 * Both services in-process, as their packages export them: a real auth-service listening on a
 * loopback port and a users-service, on one fresh database of the run's dialect (TEST_DB), as in
 * production. Tokens come from the auth-service's own issuer; the users-service fetches the JWKS
 * over real HTTP. Only this package builds both: a service's own tests never need the other.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildAuthApp, loadAuthConfig } from '@authpair/auth-service'
import { newId } from '@authpair/db'
import { createTestDatabase, type TestDatabase } from '@authpair/db/testing'
import { buildUsersApp, loadUsersConfig } from '@authpair/users-service'
import type { FastifyInstance, onRouteHookHandler } from 'fastify'
import { SignJWT } from 'jose'

export const PASSWORD = 'cobalt-willow-parade-31'

export interface Pair {
  auth: FastifyInstance
  users: FastifyInstance
  authUrl: string
  database: TestDatabase
  /** Creates a user (password PASSWORD) signed in through the auth-service: a real session. */
  userWithToken(
    role?: 'user' | 'admin',
  ): Promise<{ userId: string; token: string; refreshToken: string; email: string }>
  /**
   * A client token (client-credentials grant) as the auth-service's token endpoint issues it
   * (docs/design.md, Tokens): at+jwt signed by the active key, sub = client_id = `clientId`,
   * `scope` when given, no sid, no role, living the access-token TTL. `claims` go on last, for
   * attacks. Signed here rather than fetched from POST /auth/token, so that these tests do not
   * depend on how clients are registered.
   */
  clientToken(options?: {
    clientId?: string
    scope?: string
    claims?: Record<string, unknown>
  }): Promise<string>
  close(): Promise<void>
}

export interface PairOptions {
  /** Extra auth-service environment, over the defaults below. */
  authEnv?: Record<string, string>
  /** Fastify onRoute hooks per service (test instrumentation, e.g. counting handler calls). */
  onRoute?: { auth?: onRouteHookHandler; users?: onRouteHookHandler }
}

export async function startPair(
  usersEnv: Record<string, string> = {},
  options: PairOptions = {},
): Promise<Pair> {
  const database = await createTestDatabase()
  const dataDir = mkdtempSync(join(tmpdir(), 'authpair-users-'))
  const authConfig = loadAuthConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    // No suite here is about rate limiting, and some make many attempts from one address
    // (the fuzz test signs the same account in thousands of times): limits far out of reach.
    RATE_LIMIT_LOGIN_PER_IP: '1000000',
    RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000000',
    RATE_LIMIT_REGISTER_PER_IP: '1000000',
    RATE_LIMIT_REFRESH_PER_IP: '1000000',
    RATE_LIMIT_FORGOT_PER_IP: '1000000',
    RATE_LIMIT_FORGOT_PER_EMAIL: '1000000',
    RATE_LIMIT_FORGOT_PER_EMAIL_IP: '1000000',
    RATE_LIMIT_LOGIN_PER_ACCOUNT_IP: '1000000',
    RATE_LIMIT_PASSWORD_CONFIRM_PER_USER: '1000000',
    RATE_LIMIT_VERIFY_RESEND_PER_USER: '1000000',
    // The admins these suites make sign in with a password only (the second-factor policy is
    // the auth-service's and users-service's own suites' subject).
    MFA_REQUIRED_ROLES: 'none',
    ...options.authEnv,
  })
  const auth = await buildAuthApp({
    config: authConfig,
    ...(options.onRoute?.auth ? { onRoute: options.onRoute.auth } : {}),
  })
  const authUrl = await auth.listen({ host: '127.0.0.1', port: 0 })
  const users = await buildUsersApp({
    config: loadUsersConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: database.url,
      JWKS_URL: `${authUrl}/auth/.well-known/jwks.json`,
      RATE_LIMIT_PASSWORD_CONFIRM_PER_USER: '1000000',
      MFA_REQUIRED_ROLES: 'none',
      ...usersEnv,
    }),
    ...(options.onRoute?.users ? { onRoute: options.onRoute.users } : {}),
  })
  await users.ready()
  // The users-service follows the auth-service's revocation feed from its first answer on.
  await users.jwtVerifier.revocations?.ready
  return {
    auth,
    users,
    authUrl,
    database,
    async userWithToken(role = 'user') {
      const now = new Date()
      const email = `${newId()}@example.com`
      const user = await auth.db.users.create({
        id: newId(),
        email,
        role,
        passwordHash: await auth.passwordHasher.hash(PASSWORD),
        createdAt: now,
        updatedAt: now,
      })
      const pair = await auth.accounts.startSession(
        user,
        { ip: '127.0.0.1', userAgent: 'vitest', requestId: newId() },
        ['pwd'],
      )
      return { userId: user.id, token: pair.access_token, refreshToken: pair.refresh_token, email }
    },
    clientToken({ clientId = 'e2e-client', scope, claims } = {}) {
      const key = auth.keys.activeKey()
      const iat = Math.floor(Date.now() / 1000)
      return new SignJWT({
        client_id: clientId,
        ...(scope !== undefined ? { scope } : {}),
        ...claims,
      })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
        .setIssuer(authConfig.ISSUER)
        .setAudience(authConfig.JWT_AUDIENCE)
        .setSubject(clientId)
        .setIssuedAt(iat)
        .setExpirationTime(iat + authConfig.ACCESS_TOKEN_TTL_SECONDS)
        .setJti(randomUUID())
        .sign(key.privateKey)
    },
    async close() {
      // The auth-service first: the users-service's verifier has a long poll open to it (the
      // revocation feed), which the auth-service's close answers. Closed first, the verifier
      // could leave a connection opened but never used, which the auth-service's server then
      // waits out (headersTimeout, 60 s) before it can close.
      await auth.close()
      await users.close()
      await database.drop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
