/** `pnpm manage`, as an operator runs it: a real process, the password piped on stdin. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AdminUserListSchema, AdminUserSchema, SigningKeyListSchema } from '@authpair/contracts'
import { createTestDatabase, readRawRows, type TestDatabase } from '@authpair/db/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, randomKek, type TestApp } from './helper.js'
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
    const json = SigningKeyListSchema.parse(
      JSON.parse((await manage(['keys', 'list', '--json'])).out),
    )
    expect(json.items).toContainEqual(
      expect.objectContaining({ kid, alg: 'RS256', status: 'next' }),
    )
    expect(json.items.some((k) => k.status === 'active')).toBe(true)
    const audited = (await readRawRows(database.target, 'audit_events')).filter(
      (row) => row.type === 'key_rotated',
    )
    expect(audited).toEqual([
      expect.objectContaining({ actor_id: 'cli', ip: 'cli', user_agent: 'manage' }),
    ])
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
      expect(events.filter((e) => e.type === 'mfa_removed').map((e) => e.actorId)).toEqual(['cli'])
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
    const json = await manage(['clients', 'list', '--json'])
    expect(JSON.parse(json.out).items).toContainEqual(
      expect.objectContaining({
        client_id: id,
        name: 'billing',
        scopes: ['users:read'],
        audiences: [],
        disabled: false,
      }),
    )
    expect(json.out).not.toContain(secret)

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
      const enabled = await manage(['clients', 'enable', id])
      expect(enabled.out).toBe(`enabled client ${id}\n`)
      expect((await token(fresh)).statusCode).toBe(200)
      expect((await manage(['clients', 'delete', id])).code).toBe(0)
      const again = await manage(['clients', 'delete', id])
      expect(again.code).toBe(1)
      expect(again.err).toContain('No such client')
    } finally {
      await t.close()
    }
    const bad = await manage(['clients', 'create', 'bad', '--scopes', 'has space,x"y'])
    expect(bad.code).toBe(1)
    // Eleven CLI processes, each a cold Node start: seconds apiece on a busy two-core machine.
  }, 90_000)

  it('explains itself for an unknown command', async () => {
    const res = await manage(['frobnicate'])
    expect(res.code).toBe(2)
    expect(res.err).toContain('manage: unknown command: frobnicate')
    expect(res.err).toContain('usage: manage <command>')
  })
})

describe('manage CLI: the command line', () => {
  it('lists every command under --help, and explains each one', async () => {
    const [all, helpWord, group, one, viaHelp] = await Promise.all([
      manage(['--help']),
      manage(['help']),
      manage(['users', '--help']),
      manage(['users', 'delete', '--help']),
      manage(['help', 'users', 'delete']),
    ])
    expect(all.code, all.err).toBe(0)
    for (const usage of [
      'migrate',
      'create-admin <email> [name…] [--promote]',
      'users list [--email-prefix <p>] [--role <user|admin>] [--active <true|false>] [--limit <n>]',
      'users show <email|id> [--json]',
      'users disable <email|id>',
      'users enable <email|id>',
      'users set-role <email|id> <role>',
      'users delete <email|id> [--yes]',
      'sessions list <email|id> [--json]',
      'sessions revoke <email|id>',
      'mfa remove <email|id>',
      'keys list [--json]',
      'keys rotate',
      'clients list [--json]',
      'clients create <name> [--scopes <a,b>] [--audiences <x,y>]',
      'clients rotate <id>',
      'clients disable <id>',
      'clients enable <id>',
      'clients delete <id>',
      'import-django --from <postgres://… | sqlite file | dumpdata .json> [--dry-run]',
    ]) {
      expect(all.out).toContain(`  ${usage}`)
    }
    expect(helpWord.out).toBe(all.out)
    expect(group.code).toBe(0)
    expect(group.out).toContain('users set-role <email|id> <role>')
    expect(group.out).not.toContain('clients list')
    expect(one.code).toBe(0)
    expect(one.out).toMatch(/^usage: manage users delete <email\|id> \[--yes\]\n/)
    expect(one.out).toContain('--yes')
    expect(viaHelp.out).toBe(one.out)
  }, 60_000)

  it('refuses a wrong command line with exit 2 and the usage, changing nothing', async () => {
    const cases: [string[], string][] = [
      [['users'], 'manage: users needs a command: list, show, disable, enable, set-role, delete'],
      [['users', 'frobnicate'], 'manage: unknown command: users frobnicate'],
      [['users', 'list', '--colour'], "manage: users list: Unknown option '--colour'"],
      [['keys', 'rotate', '--json'], "manage: keys rotate: Unknown option '--json'"],
      [['users', 'show'], 'manage: users show needs <email|id>'],
      [['users', 'show', 'a@example.com', 'b@example.com'], 'unexpected argument b@example.com'],
      [
        ['users', 'list', '--limit'],
        "manage: users list: Option '--limit <value>' argument missing",
      ],
      [['users', 'list', '--active', 'maybe'], 'manage: users list: --active:'],
      [['users', 'list', '--limit', '0'], 'manage: users list: --limit:'],
      [
        ['users', 'list', '--cursor', 'nope'],
        'manage: users list: --cursor: The cursor is not valid.',
      ],
      [['users', 'set-role', 'a@example.com', 'root'], 'the role is one of user, admin (got root)'],
      [['import-django'], 'manage: import-django needs --from'],
      [[], 'manage: no command given'],
    ]
    const results = await Promise.all(cases.map(([args]) => manage(args)))
    results.forEach((res, i) => {
      const [args, message] = cases[i] ?? [[], '']
      expect(res.code, `manage ${args.join(' ')}: ${res.err}`).toBe(2)
      expect(res.err).toContain(message)
      expect(res.err).toContain('usage: manage')
      expect(res.out).toBe('')
    })
  }, 90_000)
})

describe('manage CLI: users and their sessions', () => {
  let db: TestDatabase
  let dir: string
  let t: TestApp
  const run = (args: string[], stdin = '', options: { tty?: boolean } = {}) =>
    runManage({ databaseUrl: db.url, dataDir: dir, kek }, args, stdin, options)
  const password = 'copper-harbour-violin-7'

  beforeAll(async () => {
    db = await createTestDatabase()
    dir = mkdtempSync(join(tmpdir(), 'authpair-manage-users-'))
    t = await buildTestApp({ KEY_ENCRYPTION_KEY: kek }, { database: db })
    const rules = t.app.accountRules
    // In creation order: the one admin, two users, a deactivated user, two to delete.
    await rules.createUser({
      email: 'alice@example.com',
      password,
      role: 'admin',
      emailVerified: true,
    })
    for (const email of ['bob@example.com', 'bea@example.com', 'carol@example.com']) {
      await rules.createUser({ email, password, emailVerified: true })
    }
    const carol = await t.app.db.users.findByEmail('carol@example.com')
    await rules.updateAccount(carol?.id ?? '', { isActive: false })
    for (const email of ['dave@example.com', 'erin@example.com']) {
      await rules.createUser({ email, password, emailVerified: true })
    }
  })
  afterAll(async () => {
    await t?.close()
    await db?.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  const user = async (email: string) => {
    const found = await t.app.db.users.findByEmail(email)
    if (!found) throw new Error(`test setup: no ${email}`)
    return found
  }
  const login = async (email: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email, password },
    })
    return res
  }
  const refresh = (refresh_token: string) =>
    t.app.inject({ method: 'POST', url: '/auth/token/refresh', payload: { refresh_token } })
  const cliEvents = async (userId: string, type: string) =>
    (await t.app.db.auditEvents.listForUser(userId, 100)).filter(
      (e) => e.type === type && e.actorId === 'cli' && e.ip === 'cli' && e.userAgent === 'manage',
    )
  const userRevocations = async (userId: string) =>
    (await t.app.db.revocations.after(0, 1000)).filter(
      (r) => r.kind === 'user' && r.subjectId === userId,
    )

  it('lists users with the admin list’s filters and pages, as text and as the API’s JSON', async () => {
    const [all, prefix, admins, inactive, firstPage] = await Promise.all([
      run(['users', 'list']),
      run(['users', 'list', '--email-prefix', 'B']),
      run(['users', 'list', '--role', 'admin', '--json']),
      run(['users', 'list', '--active', 'false', '--json']),
      run(['users', 'list', '--limit', '2']),
    ])
    expect(all.code, all.err).toBe(0)
    const emails = (out: string) =>
      out
        .trim()
        .split('\n')
        .map((line) => line.split('  ')[1])
    expect(emails(all.out)).toEqual([
      'alice@example.com',
      'bob@example.com',
      'bea@example.com',
      'carol@example.com',
      'dave@example.com',
      'erin@example.com',
    ])
    const alice = await user('alice@example.com')
    expect(all.out.split('\n')[0]).toBe(
      `${alice.id}  alice@example.com  admin  active  verified  created ${alice.createdAt.toISOString()}`,
    )
    expect(all.out).toContain('carol@example.com  user  deactivated  verified')
    expect(all.err).toBe('')
    expect(emails(prefix.out)).toEqual(['bob@example.com', 'bea@example.com'])

    const adminList = AdminUserListSchema.parse(JSON.parse(admins.out))
    expect(adminList.items.map((u) => u.email)).toEqual(['alice@example.com'])
    expect(adminList.items[0]).toMatchObject({ role: 'admin', is_active: true, mfa_enabled: false })
    expect(adminList.next_cursor).toBeNull()
    const inactiveList = AdminUserListSchema.parse(JSON.parse(inactive.out))
    expect(inactiveList.items.map((u) => u.email)).toEqual(['carol@example.com'])

    expect(emails(firstPage.out)).toEqual(['alice@example.com', 'bob@example.com'])
    const cursor = /^more: --cursor (\S+)$/m.exec(firstPage.err)?.[1]
    expect(cursor).toBeDefined()
    const next = await run(['users', 'list', '--limit', '2', '--cursor', cursor ?? '', '--json'])
    const nextPage = AdminUserListSchema.parse(JSON.parse(next.out))
    expect(nextPage.items.map((u) => u.email)).toEqual(['bea@example.com', 'carol@example.com'])
    expect(nextPage.next_cursor).not.toBeNull()
  }, 90_000)

  it('shows one user by email or by id; --json is GET /admin/users/:id’s answer', async () => {
    const bob = await user('bob@example.com')
    await login('bob@example.com')
    const [text, json, ghost] = await Promise.all([
      run(['users', 'show', 'Bob@Example.com']),
      run(['users', 'show', bob.id, '--json']),
      run(['users', 'show', 'ghost@example.com']),
    ])
    expect(text.code, text.err).toBe(0)
    expect(text.out).toContain(`id              ${bob.id}\n`)
    expect(text.out).toContain('role            user\n')
    expect(text.out).toContain('active          true\n')
    expect(text.out).toMatch(/live sessions {3}[1-9]\d*\n/)
    const view = AdminUserSchema.parse(JSON.parse(json.out))
    expect(view).toMatchObject({ id: bob.id, email: 'bob@example.com', role: 'user' })
    expect(ghost.code).toBe(1)
    expect(ghost.err).toBe('manage: no user ghost@example.com\n')
  }, 60_000)

  it('disabling ends every session and token at once (revocation feed, audit by cli); enabling lets them back', async () => {
    const bea = await user('bea@example.com')
    const signedIn = await login('bea@example.com')
    expect(signedIn.statusCode).toBe(200)
    const { refresh_token } = signedIn.json()

    const disabled = await run(['users', 'disable', 'bea@example.com'])
    expect(disabled.code, disabled.err).toBe(0)
    expect(disabled.out).toBe(
      'disabled bea@example.com: every session ended, every token refused\n',
    )
    expect((await user('bea@example.com')).isActive).toBe(false)
    expect((await refresh(refresh_token)).statusCode).toBe(401)
    expect(await t.app.accounts.listSessions(bea.id)).toEqual([])
    expect(await userRevocations(bea.id)).toHaveLength(1)
    const [event] = await cliEvents(bea.id, 'user_updated')
    expect(JSON.parse(event?.data ?? 'null')).toEqual({ changes: { is_active: false } })
    const refused = await login('bea@example.com')
    expect(refused.statusCode).toBe(403)
    expect(refused.json().code).toBe('account_disabled')

    const enabled = await run(['users', 'enable', bea.id])
    expect(enabled.code, enabled.err).toBe(0)
    expect(enabled.out).toBe('enabled bea@example.com\n')
    expect((await login('bea@example.com')).statusCode).toBe(200)
    const events = await cliEvents(bea.id, 'user_updated')
    expect(events.map((e) => JSON.parse(e.data ?? 'null'))).toContainEqual({
      changes: { is_active: true },
    })
  }, 60_000)

  it('changes a role as PATCH /admin/users/:id does, and never takes the last admin away', async () => {
    const bob = await user('bob@example.com')
    const promoted = await run(['users', 'set-role', 'bob@example.com', 'admin'])
    expect(promoted.code, promoted.err).toBe(0)
    expect(promoted.out).toBe('bob@example.com is now admin\n')
    expect((await user('bob@example.com')).role).toBe('admin')
    const demoted = await run(['users', 'set-role', bob.id, 'user'])
    expect(demoted.code, demoted.err).toBe(0)
    expect((await user('bob@example.com')).role).toBe('user')
    const changes = (await cliEvents(bob.id, 'user_updated')).map((e) => JSON.parse(e.data ?? ''))
    expect(changes).toContainEqual({ changes: { role: 'admin' } })
    expect(changes).toContainEqual({ changes: { role: 'user' } })

    // Alice is now the only active admin: no command may leave the admin API unreachable.
    const [demote, disable, remove] = await Promise.all([
      run(['users', 'set-role', 'alice@example.com', 'user']),
      run(['users', 'disable', 'alice@example.com']),
      run(['users', 'delete', 'alice@example.com', '--yes']),
    ])
    for (const res of [demote, disable, remove]) {
      expect(res.code).toBe(1)
      expect(res.err).toMatch(/^manage: This is the last active admin: .* \(last_admin\)\n$/)
    }
    expect(await user('alice@example.com')).toMatchObject({ role: 'admin', isActive: true })
  }, 60_000)

  it('deletes only when confirmed: --yes from a script, typed "yes" on a terminal', async () => {
    const dave = await user('dave@example.com')
    const unconfirmed = await run(['users', 'delete', 'dave@example.com'])
    expect(unconfirmed.code).toBe(2)
    expect(unconfirmed.err).toContain('stdin is not a terminal): add --yes')
    const declined = await run(['users', 'delete', 'dave@example.com'], 'no\n', { tty: true })
    expect(declined.code).toBe(1)
    expect(declined.out).toContain('delete dave@example.com')
    expect(declined.out).toContain('Type yes to delete:')
    expect(declined.out).toContain('manage: not deleted: dave@example.com')
    expect(await t.app.db.users.findById(dave.id)).toBeDefined()

    const typed = await run(['users', 'delete', 'dave@example.com'], 'yes\n', { tty: true })
    expect(typed.code, typed.out).toBe(0)
    expect(typed.out).toContain(`deleted dave@example.com (${dave.id})`)
    expect(await t.app.db.users.findById(dave.id)).toBeUndefined()

    const erin = await user('erin@example.com')
    const { refresh_token } = (await login('erin@example.com')).json()
    const scripted = await run(['users', 'delete', erin.id, '--yes'])
    expect(scripted.code, scripted.err).toBe(0)
    expect(scripted.out).toBe(`deleted erin@example.com (${erin.id})\n`)
    expect(await t.app.db.users.findById(erin.id)).toBeUndefined()
    expect((await refresh(refresh_token)).statusCode).toBe(401)
    expect(await userRevocations(erin.id)).toHaveLength(1)
    expect(await cliEvents(erin.id, 'user_deleted')).toHaveLength(1)
    expect(await cliEvents(dave.id, 'user_deleted')).toHaveLength(1)

    const again = await run(['users', 'delete', erin.id, '--yes'])
    expect(again.code).toBe(1)
    expect(again.err).toBe(`manage: no user ${erin.id}\n`)
  }, 90_000)

  it('lists a user’s live sessions and ends them all, audited as the CLI', async () => {
    const bob = await user('bob@example.com')
    await t.app.db.sessions.revokeAllForUser(bob.id, { now: new Date(), reason: 'test' })
    expect((await login('bob@example.com')).statusCode).toBe(200)
    expect((await login('bob@example.com')).statusCode).toBe(200)
    const live = await t.app.accounts.listSessions(bob.id)
    expect(live).toHaveLength(2)

    const [text, json] = await Promise.all([
      run(['sessions', 'list', 'bob@example.com']),
      run(['sessions', 'list', bob.id, '--json']),
    ])
    expect(text.code, text.err).toBe(0)
    expect(
      text.out
        .trim()
        .split('\n')
        .map((line) => line.split('  ')[0]),
    ).toEqual(live.map((s) => s.id))
    const listed = JSON.parse(json.out) as { items: { id: string; amr: string[] }[] }
    expect(listed.items.map((s) => s.id)).toEqual(live.map((s) => s.id))
    expect(listed.items[0]?.amr).toContain('pwd')

    const revoked = await run(['sessions', 'revoke', bob.id])
    expect(revoked.code, revoked.err).toBe(0)
    expect(revoked.out).toBe('revoked 2 session(s) of bob@example.com\n')
    expect(await t.app.accounts.listSessions(bob.id)).toEqual([])
    const [event] = await cliEvents(bob.id, 'sessions_revoked')
    expect(JSON.parse(event?.data ?? 'null')).toEqual({ reason: 'admin', count: 2 })
    const none = await run(['sessions', 'list', 'bob@example.com', '--json'])
    expect(JSON.parse(none.out)).toEqual({ items: [] })
  }, 60_000)
})
