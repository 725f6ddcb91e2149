#!/usr/bin/env node
/**
 * `pnpm manage <command>`: administration from a shell, in the spirit of Django's manage.py.
 * Reads the same environment as the auth-service (DATABASE_URL, KEY_ENCRYPTION_KEY, DATA_DIR,
 * …), plus `.env` in the working directory when it exists, as `pnpm start` does (a variable in
 * the real environment wins; never when NODE_ENV is production).
 *
 *   migrate                         apply the database migrations
 *   create-admin <email> [name]     create an admin (password from stdin, or asked without echo)
 *   create-admin --promote <email>  make an existing account admin: only one whose email is
 *                                   verified, and every session it has ends (so a token minted
 *                                   before the promotion does not carry on as an admin's)
 *   keys list                       the signing keys and their status
 *   keys rotate                     publish a new signing key (it signs after the publish lead)
 *   sessions revoke <email>         end every session of a user
 *   mfa remove <email>              remove a user's second factors (authenticator, recovery
 *                                   codes): a lost phone, no code left; audited and mailed
 *   clients list                    the clients of the client-credentials grant
 *   clients create <name> [--scopes a,b] [--audiences x,y]
 *                                   register a client; prints its id and secret (shown once)
 *   clients rotate <id>             a new secret (the old one stops working at once)
 *   clients disable|enable <id>     a disabled client's secret stops working at once
 *   clients delete <id>             remove a client
 *   import-django --from <postgres://… | sqlite file | dumpdata .json> [--dry-run]
 *                                   bring a Django project's users over (README: "Moving from
 *                                   Django"); a re-run updates them. Prints
 *                                   `created N, updated N, skipped N, unchanged N`, then one
 *                                   line per skipped user with the reason
 */
import { normalizeEmail } from '@authpair/accounts'
import { CreateClientBodySchema } from '@authpair/contracts'
import { migrateDatabase, newId, redactDatabaseUrl } from '@authpair/db'
import { passwordProblem } from '@authpair/passwords'
import { HttpProblem } from '@authpair/service-kit'
import { buildAuthApp } from '../app.js'
import { loadAuthConfig, loadDevelopmentEnvFile } from '../config.js'
import { importDjangoUsers } from '../django/django-import.js'
import { openDjangoSource } from '../django/django-source.js'
import { keyStatus } from '../keys/key-store.js'
import { readPassword } from './read-password.js'

const USAGE = `usage: manage <command>
  migrate
  create-admin <email> [name]
  create-admin --promote <email>
  keys list
  keys rotate
  sessions revoke <email>
  mfa remove <email>
  clients list
  clients create <name> [--scopes a,b] [--audiences x,y]
  clients rotate|disable|enable|delete <id>
  import-django --from <postgres://… | sqlite file | dumpdata .json> [--dry-run]`

class UsageError extends Error {}

async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE)
    return
  }
  const config = loadAuthConfig()

  if (command === 'migrate') {
    const result = await migrateDatabase(config.DATABASE_URL)
    console.log(`migrated ${redactDatabaseUrl(config.DATABASE_URL)}: applied ${result.applied}`)
    return
  }

  // Quiet, and no mail sending from a one-off command: the running service's worker does that.
  const app = await buildAuthApp({
    config: { ...config, LOG_LEVEL: 'error', OUTBOX_WORKER_ENABLED: false },
  })
  await app.ready()
  const client = { ip: 'cli', userAgent: 'manage', requestId: newId() }
  try {
    if (command === 'create-admin') {
      const promote = rest[0] === '--promote'
      const [rawEmail, ...nameParts] = promote ? rest.slice(1) : rest
      if (!rawEmail) throw new UsageError('create-admin needs an email')
      const email = normalizeEmail(rawEmail)
      const existing = await app.db.users.findByEmail(email)
      if (existing && !promote) {
        // Whoever registered this address first would otherwise become admin, token and all.
        throw new UsageError(
          `an account with ${email} exists: to make it admin, run create-admin --promote ${email}`,
        )
      }
      if (promote) {
        if (!existing) throw new UsageError(`no account with ${email} to promote`)
        if (!existing.emailVerified) {
          throw new UsageError(
            `${email} has not verified its address, so it may not belong to its owner: verify it (or reset its password) first`,
          )
        }
        const now = new Date()
        await app.db.users.update(existing.id, { role: 'admin', updatedAt: now })
        const ended = await app.db.sessions.revokeAllForUser(existing.id, {
          now,
          reason: 'promoted',
        })
        await app.accounts.audit('role_changed', existing.id, client, {
          role: 'admin',
          via: 'cli',
          sessions_revoked: ended,
        })
        console.log(`promoted ${email} to admin; ended ${ended} session(s): sign in again`)
        return
      }
      const password = await readPassword(`password for ${email}: `)
      const problem = passwordProblem(password, { email })
      if (problem) throw new UsageError(`the password ${problem}`)
      let user: Awaited<ReturnType<typeof app.accountRules.createUser>>
      try {
        user = await app.accountRules.createUser({
          email,
          password,
          name: nameParts.join(' ') || null,
          role: 'admin',
          emailVerified: true,
        })
      } catch (error) {
        if (error instanceof HttpProblem) throw new UsageError(error.message)
        throw error
      }
      await app.accounts.audit('user_registered', user.id, client, { role: 'admin', via: 'cli' })
      console.log(`created admin ${email} (${user.id})`)
      return
    }
    if (command === 'keys' && rest[0] === 'list') {
      const now = new Date()
      for (const key of await app.db.signingKeys.list()) {
        console.log(
          `${key.kid}  ${key.alg}  ${keyStatus(key, now).padEnd(7)}  activates ${key.activatesAt.toISOString()}` +
            (key.publishedUntil ? `  published until ${key.publishedUntil.toISOString()}` : ''),
        )
      }
      return
    }
    if (command === 'keys' && rest[0] === 'rotate') {
      const key = await app.rotateSigningKey()
      await app.accounts.audit('key_rotated', null, client, { kid: key.kid })
      console.log(`new key ${key.kid} published; it signs from ${key.activatesAt.toISOString()}`)
      return
    }
    if (command === 'clients') {
      await manageClients(app, rest, client)
      return
    }
    if (command === 'import-django') {
      await importDjango(app, rest, client)
      return
    }
    if (command === 'sessions' && rest[0] === 'revoke') {
      const email = rest[1] === undefined ? undefined : normalizeEmail(rest[1])
      if (!email) throw new UsageError('sessions revoke needs an email')
      const user = await app.db.users.findByEmail(email)
      if (!user) throw new UsageError(`no user ${email}`)
      const count = await app.db.sessions.revokeAllForUser(user.id, {
        now: new Date(),
        reason: 'admin',
      })
      await app.accounts.audit('sessions_revoked', user.id, client, { reason: 'admin', count })
      console.log(`revoked ${count} session(s) of ${email}`)
      return
    }
    if (command === 'mfa' && rest[0] === 'remove') {
      const email = rest[1] === undefined ? undefined : normalizeEmail(rest[1])
      if (!email) throw new UsageError('mfa remove needs an email')
      const user = await app.db.users.findByEmail(email)
      if (!user) throw new UsageError(`no user ${email}`)
      try {
        // The same call as DELETE /admin/auth/users/:id/mfa: audited, the user mailed.
        await app.mfa.removeByAdmin(user.id, null, client)
      } catch (error) {
        if (error instanceof HttpProblem) throw new UsageError(error.message)
        throw error
      }
      console.log(`removed the second factors of ${email}; they were mailed a notice`)
      return
    }
    throw new UsageError(`unknown command: ${args.join(' ')}`)
  } finally {
    await app.close()
  }
}

/** `import-django --from … [--dry-run]`: see django/django-import.ts. */
async function importDjango(
  app: Awaited<ReturnType<typeof buildAuthApp>>,
  args: string[],
  client: { ip: string; userAgent: string; requestId: string },
): Promise<void> {
  const at = args.indexOf('--from')
  const from = at >= 0 ? args[at + 1] : undefined
  if (!from)
    throw new UsageError('import-django needs --from <postgres://… | sqlite file | dumpdata .json>')
  const dryRun = args.includes('--dry-run')
  const source = openDjangoSource(from)
  const started = performance.now()
  let shown = started
  try {
    const report = await importDjangoUsers(source, {
      db: app.db,
      rules: app.accountRules,
      now: () => new Date(),
      dryRun,
      // A line every few seconds on a long import (stderr: stdout stays the summary).
      onProgress(seen, total) {
        const now = performance.now()
        if (now - shown < 2000 && seen < total) return
        if (now - started < 2000) return
        shown = now
        const rate = Math.round(seen / ((now - started) / 1000))
        console.error(`import-django: ${seen}/${total} users read (${rate}/s)`)
      },
    })
    const seconds = (performance.now() - started) / 1000
    if (dryRun) console.log('dry run: nothing was written; a real run would give')
    console.log(
      `created ${report.created}, updated ${report.updated}, skipped ${report.skipped.length}, unchanged ${report.unchanged}`,
    )
    for (const s of report.skipped) {
      console.log(`skipped Django user ${s.djangoId} (${s.username}): ${s.reason}`)
    }
    for (const n of report.notes) {
      console.log(`note: Django user ${n.djangoId} (${n.username}): ${n.note}`)
    }
    console.log(
      `${report.total} Django users from ${source.description} in ${seconds.toFixed(1)} s (${Math.round(report.total / Math.max(seconds, 0.001))}/s)`,
    )
    if (!dryRun) {
      await app.accounts.audit('users_imported', null, client, {
        source: 'django',
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        skipped: report.skipped.length,
      })
    }
  } finally {
    await source.close()
  }
}

/** `clients …`: the registry through the same rules as /admin/clients. */
async function manageClients(
  app: Awaited<ReturnType<typeof buildAuthApp>>,
  args: string[],
  client: { ip: string; userAgent: string; requestId: string },
): Promise<void> {
  const [action, ...rest] = args
  const who = { client, actorId: null }
  const option = (name: string): string[] => {
    const at = rest.indexOf(`--${name}`)
    const value = at >= 0 ? rest[at + 1] : undefined
    if (at >= 0 && value === undefined) throw new UsageError(`--${name} needs a value`)
    return value === undefined
      ? []
      : value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
  }
  const show = (c: {
    client_id: string
    name: string
    scopes: string[]
    audiences: string[]
    disabled: boolean
  }) =>
    `${c.client_id}  ${c.name}  scopes: ${c.scopes.join(' ') || '-'}  audiences: ${c.audiences.join(' ') || '-'}${c.disabled ? '  (disabled)' : ''}`
  if (action === 'list') {
    for (const c of await app.clients.list(undefined, 1000)) console.log(show(app.clients.view(c)))
    return
  }
  if (action === 'create') {
    const name = rest[0]
    if (!name || name.startsWith('--')) throw new UsageError('clients create needs a name')
    const parsed = CreateClientBodySchema.safeParse({
      name,
      scopes: option('scopes'),
      audiences: option('audiences'),
    })
    if (!parsed.success)
      throw new UsageError(
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      )
    const { client: made, secret } = await app.clients.create(parsed.data, who)
    console.log(`created client ${made.id}\nclient_secret: ${secret}\n(shown once: store it now)`)
    return
  }
  const id = rest[0]
  if (!id) throw new UsageError(`clients ${action ?? ''} needs a client id`)
  try {
    if (action === 'rotate') {
      const { secret } = await app.clients.rotateSecret(id, who)
      console.log(`new secret for ${id}\nclient_secret: ${secret}\n(shown once: store it now)`)
    } else if (action === 'disable' || action === 'enable') {
      await app.clients.update(id, { disabled: action === 'disable' }, who)
      console.log(`${action}d client ${id}`)
    } else if (action === 'delete') {
      await app.clients.delete(id, who)
      console.log(`deleted client ${id}`)
    } else {
      throw new UsageError(`unknown clients command: ${action ?? ''}`)
    }
  } catch (error) {
    if (error instanceof HttpProblem) throw new UsageError(error.message)
    throw error
  }
}

try {
  // The same .env `pnpm start` reads, so both find the same database and key-encryption key.
  loadDevelopmentEnvFile()
  await main(process.argv.slice(2))
} catch (error) {
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
  console.error(`manage: ${message}`)
  if (error instanceof UsageError) console.error(USAGE)
  process.exitCode = 1
}
