/**
 * Builds the auth-service for a test: a fresh migrated database of the run's dialect
 * (TEST_DB), a random key-encryption key, silent logs. Everything a test makes is torn down by
 * the returned `close`.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestDatabase, type TestDatabase } from '@authpair/db/testing'
import type { FastifyInstance } from 'fastify'
import { type AuthConfig, buildAuthApp, loadAuthConfig } from '../src/app.js'

export interface TestApp {
  app: FastifyInstance
  config: AuthConfig
  database: TestDatabase
  env: Record<string, string>
  close(): Promise<void>
}

export function randomKek(): string {
  return randomBytes(32).toString('base64url')
}

export async function buildTestApp(
  env: Record<string, string> = {},
  options: {
    database?: TestDatabase
    now?: () => Date
    logger?: Parameters<typeof buildAuthApp>[0]['logger']
  } = {},
): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase())
  const dataDir = mkdtempSync(join(tmpdir(), 'authpair-auth-data-'))
  const fullEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    KEY_ENCRYPTION_KEY: randomKek(),
    // Suites that are not about rate limiting make many attempts from one address.
    RATE_LIMIT_LOGIN_PER_IP: '100000',
    RATE_LIMIT_LOGIN_PER_ACCOUNT: '100000',
    RATE_LIMIT_LOGIN_PER_ACCOUNT_IP: '100000',
    RATE_LIMIT_PASSWORD_CONFIRM_PER_USER: '100000',
    RATE_LIMIT_VERIFY_RESEND_PER_USER: '100000',
    RATE_LIMIT_FORGOT_PER_EMAIL_IP: '100000',
    RATE_LIMIT_REGISTER_PER_IP: '100000',
    RATE_LIMIT_REFRESH_PER_IP: '100000',
    RATE_LIMIT_FORGOT_PER_IP: '100000',
    RATE_LIMIT_FORGOT_PER_EMAIL: '100000',
    // Suites that are not about the second-factor policy call the admin API as a password-only
    // admin; test/mfa.test.ts runs with the default (admin).
    MFA_REQUIRED_ROLES: 'none',
    // No SMTP unless a suite brings one: mail then goes to the (silent) log.
    OUTBOX_POLL_INTERVAL_MS: '50',
    ...env,
  }
  const config = loadAuthConfig(fullEnv)
  const app = await buildAuthApp({
    config,
    ...(options.now ? { now: options.now } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  })
  await app.ready()
  return {
    app,
    config,
    database,
    env: fullEnv,
    async close() {
      await app.close()
      if (!options.database) await database.drop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** A clock the test moves by hand. */
export function manualClock(start = new Date('2026-03-01T12:00:00.000Z')) {
  let current = start.getTime()
  return {
    now: () => new Date(current),
    advance(seconds: number) {
      current += seconds * 1000
    },
  }
}
