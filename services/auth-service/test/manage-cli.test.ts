/** `pnpm manage`, as an operator runs it: a real process, the password piped on stdin. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestDatabase, type TestDatabase } from '@authpair/db/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, randomKek } from './helper.js'
import { runManage } from './support/manage.js'

let database: TestDatabase
let dataDir: string
const kek = randomKek()

beforeAll(async () => {
  database = await createTestDatabase()
  dataDir = mkdtempSync(join(tmpdir(), 'authpair-manage-'))
})
afterAll(async () => {
  await database?.drop()
  rmSync(dataDir, { recursive: true, force: true })
})

const manage = (args: string[], stdin = '') =>
  runManage({ databaseUrl: database.url, dataDir, kek }, args, stdin)

describe('manage CLI', () => {
  it('creates an admin with the password read from stdin, who can then sign in as admin', async () => {
    const created = await manage(
      ['create-admin', 'Ops@Example.com', 'Ops', 'Team'],
      'granite-meadow-lantern\n',
    )
    expect(created.code, created.err).toBe(0)
    expect(created.out).toMatch(/^created admin ops@example\.com/)

    const t = await buildTestApp({ KEY_ENCRYPTION_KEY: kek }, { database })
    try {
      const login = await t.app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { email: 'ops@example.com', password: 'granite-meadow-lantern' },
      })
      expect(login.statusCode).toBe(200)
      const user = await t.app.db.users.findByEmail('ops@example.com')
      expect(user).toMatchObject({ role: 'admin', emailVerified: true, name: 'Ops Team' })
    } finally {
      await t.close()
    }
  })

  it('never promotes an account silently: --promote, a verified address, and its sessions end', async () => {
    const t = await buildTestApp({ KEY_ENCRYPTION_KEY: kek }, { database })
    try {
      // Someone registered the address first (no verification needed) and holds a session.
      const email = 'squatter@example.com'
      const register = await t.app.inject({
        method: 'POST',
        url: '/auth/register',
        payload: { email, password: 'ochre-lantern-gravel-5' },
      })
      expect(register.statusCode).toBe(201)
      const login = await t.app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { email, password: 'ochre-lantern-gravel-5' },
      })
      const { refresh_token } = login.json()

      const plain = await manage(['create-admin', email], 'granite-meadow-lantern\n')
      expect(plain.code).toBe(1)
      expect(plain.err).toContain(`an account with ${email} exists`)
      expect(plain.err).toContain('--promote')
      expect((await t.app.db.users.findByEmail(email))?.role).toBe('user')

      const unverified = await manage(['create-admin', '--promote', email])
      expect(unverified.code).toBe(1)
      expect(unverified.err).toContain('has not verified its address')
      expect((await t.app.db.users.findByEmail(email))?.role).toBe('user')

      const user = await t.app.db.users.findByEmail(email)
      await t.app.db.users.update(user?.id ?? '', { emailVerified: true, updatedAt: new Date() })
      const promoted = await manage(['create-admin', '--promote', email])
      expect(promoted.code, promoted.err).toBe(0)
      expect(promoted.out).toMatch(/^promoted squatter@example\.com to admin; ended 1 session/)
      expect((await t.app.db.users.findByEmail(email))?.role).toBe('admin')
      // A token minted before the promotion does not carry on.
      const refresh = await t.app.inject({
        method: 'POST',
        url: '/auth/token/refresh',
        payload: { refresh_token },
      })
      expect(refresh.statusCode).toBe(401)
    } finally {
      await t.close()
    }
  })

  it('refuses a weak admin password with one line and exit 1', async () => {
    const res = await manage(['create-admin', 'weak@example.com'], 'password1\n')
    expect(res.code).toBe(1)
    expect(res.err.split('\n')[0]).toBe(
      'manage: the password is too common: it appears in lists of breached passwords',
    )
  })

  it('rotates and lists the signing keys', async () => {
    const rotated = await manage(['keys', 'rotate'])
    expect(rotated.code, rotated.err).toBe(0)
    const kid = /new key (\S+) published/.exec(rotated.out)?.[1]
    expect(kid).toBeDefined()
    const listed = await manage(['keys', 'list'])
    expect(listed.out).toContain(`${kid}  RS256  next`)
    expect(listed.out).toMatch(/ active /)
  })

  it('revokes a user’s sessions, and names an unknown user', async () => {
    const ok = await manage(['sessions', 'revoke', 'ops@example.com'])
    expect(ok.code, ok.err).toBe(0)
    expect(ok.out).toMatch(/^revoked \d+ session\(s\) of ops@example\.com/)
    const missing = await manage(['sessions', 'revoke', 'ghost@example.com'])
    expect(missing.code).toBe(1)
    expect(missing.err).toContain('manage: no user ghost@example.com')
  })

  it('removes a user’s second factors (audited), and says when there are none', async () => {
    const t = await buildTestApp({ KEY_ENCRYPTION_KEY: kek }, { database })
    let userId: string
    try {
      const user = await t.app.db.users.findByEmail('ops@example.com')
      userId = user?.id ?? ''
      const now = new Date()
      await t.app.db.secondFactors.beginTotp({ userId, secretEnc: 'sealed', createdAt: now })
      await t.app.db.secondFactors.confirmTotp(userId, { at: now, step: 1 }, [
        { id: crypto.randomUUID(), userId, codeHash: 'h', createdAt: now },
      ])
    } finally {
      await t.close()
    }
    const removed = await manage(['mfa', 'remove', 'ops@example.com'])
    expect(removed.code, removed.err).toBe(0)
    expect(removed.out).toMatch(/^removed the second factors of ops@example\.com/)
    const again = await manage(['mfa', 'remove', 'ops@example.com'])
    expect(again.code).toBe(1)
    expect(again.err).toContain('manage: This user has no second factor.')

    const check = await buildTestApp({ KEY_ENCRYPTION_KEY: kek }, { database })
    try {
      expect(await check.app.db.secondFactors.findTotp(userId)).toBeUndefined()
      expect(await check.app.db.secondFactors.countUnusedRecoveryCodes(userId)).toBe(0)
      const events = await check.app.db.auditEvents.listForUser(userId, 50)
      expect(events.some((e) => e.type === 'mfa_removed')).toBe(true)
    } finally {
      await check.close()
    }
  })

  it('registers, lists, rotates, disables and deletes a client; its secret is shown once', async () => {
    const created = await manage(['clients', 'create', 'billing', '--scopes', 'users:read'])
    expect(created.code, created.err).toBe(0)
    const id = /created client (\S+)/.exec(created.out)?.[1] ?? ''
    const secret = /client_secret: (\S+)/.exec(created.out)?.[1] ?? ''
    expect(secret).toMatch(/^aps_[\w-]{43}$/)
    const listed = await manage(['clients', 'list'])
    expect(listed.out).toContain(`${id}  billing  scopes: users:read`)
    expect(listed.out).not.toContain(secret)

    const t = await buildTestApp({ KEY_ENCRYPTION_KEY: kek }, { database })
    try {
      const token = (credentials: string) =>
        t.app.inject({
          method: 'POST',
          url: '/auth/token',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${id}:${credentials}`).toString('base64')}`,
          },
          payload: 'grant_type=client_credentials',
        })
      expect((await token(secret)).statusCode).toBe(200)
      const rotated = await manage(['clients', 'rotate', id])
      const fresh = /client_secret: (\S+)/.exec(rotated.out)?.[1] ?? ''
      expect((await token(secret)).statusCode).toBe(401)
      expect((await token(fresh)).statusCode).toBe(200)
      expect((await manage(['clients', 'disable', id])).code).toBe(0)
      expect((await token(fresh)).statusCode).toBe(401)
      expect((await manage(['clients', 'delete', id])).code).toBe(0)
      const again = await manage(['clients', 'delete', id])
      expect(again.code).toBe(1)
      expect(again.err).toContain('No such client')
    } finally {
      await t.close()
    }
    const bad = await manage(['clients', 'create', 'bad', '--scopes', 'has space,x"y'])
    expect(bad.code).toBe(1)
    // Nine CLI processes, each a cold Node start: seconds apiece on a busy two-core machine.
  }, 60_000)

  it('explains itself for an unknown command', async () => {
    const res = await manage(['frobnicate'])
    expect(res.code).toBe(2)
    expect(res.err).toContain('manage: unknown command: frobnicate')
    expect(res.err).toContain('usage: manage <command>')
  })
})
