#!/usr/bin/env node
/**
 * `pnpm manage <command>`: administration from a shell, in the spirit of Django's manage.py.
 * Reads the same environment as the auth-service (DATABASE_URL, KEY_ENCRYPTION_KEY, DATA_DIR,
 * …), plus `.env` in the working directory when it exists, as `pnpm start` does (a variable in
 * the real environment wins; never when NODE_ENV is production). It builds the auth-service app
 * to act, so every change goes through the rules the admin API
 * uses (packages/accounts' AccountRules) and is audited with actor `cli`.
 * `manage --help` lists the commands, `manage <command> --help` explains one.
 *
 *   migrate                         apply the database migrations
 *   create-admin <email> [name]     create an admin (password from stdin, or asked without echo)
 *   create-admin --promote <email>  make an existing account admin: only one whose email is
 *                                   verified, and every session it has ends (so a token minted
 *                                   before the promotion does not carry on as an admin's)
 *   users list [--email-prefix p] [--role user|admin] [--active true|false] [--limit n]
 *              [--cursor c] [--json]
 *                                   users in creation order, filtered (next page's cursor on
 *                                   stderr); --json answers as GET /admin/users
 *   users show <email|id> [--json]  one user (--json: as GET /admin/users/:id)
 *   users disable <email|id>        deactivate: every session ends, the revocation feed says so
 *   users enable <email|id>         re-activate
 *   users set-role <email|id> <role>  user or admin, as PATCH /admin/users/:id
 *   users delete <email|id> [--yes] delete, as DELETE /admin/users/:id; asks on a terminal,
 *                                   refuses without --yes when stdin is not one
 *   sessions list <email|id> [--json]  a user's live sessions
 *   sessions revoke <email|id>      end every session of a user
 *   mfa remove <email|id>           remove a user's second factors (authenticator, recovery
 *                                   codes): a lost phone, no code left; audited and mailed
 *   keys list [--json]              the signing keys and their status
 *   keys rotate                     publish a new signing key (it signs after the publish lead)
 *   clients list [--json]           the clients of the client-credentials grant
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
 *
 * A user is named by email or id. Exit status: 0 done; 1 the command failed (no such user, a
 * rule refused: the message ends with the admin API's problem code, e.g. `(last_admin)`);
 * 2 the command line is wrong (unknown command or flag, missing argument), with the usage.
 */
import { newId } from '@authpair/db'
import { HttpProblem } from '@authpair/service-kit'
import { buildAuthApp } from '../app.js'
import { loadAuthConfig, loadDevelopmentEnvFile } from '../config.js'
import type { Command } from './cli-context.js'
import { parseCommandLine, UsageError } from './command-line.js'
import { clientCommands } from './commands/clients.js'
import { createAdminCommand } from './commands/create-admin.js'
import { importDjangoCommand } from './commands/import-django.js'
import { keyCommands } from './commands/keys.js'
import { mfaCommands } from './commands/mfa.js'
import { migrateCommand } from './commands/migrate.js'
import { sessionCommands } from './commands/sessions.js'
import { userCommands } from './commands/users.js'

/** Every command, in the order `manage --help` lists them. */
const COMMANDS: readonly Command[] = [
  migrateCommand,
  createAdminCommand,
  ...userCommands,
  ...sessionCommands,
  ...mfaCommands,
  ...keyCommands,
  ...clientCommands,
  importDjangoCommand,
]

async function main(argv: string[]): Promise<void> {
  // The command line is checked before anything is opened: a typo costs no database work.
  const parsed = parseCommandLine(argv, COMMANDS)
  if (parsed.kind === 'help') {
    console.log(parsed.text)
    return
  }
  const { command, args } = parsed
  const config = loadAuthConfig()
  if (command.withoutApp) {
    await command.run(config, args)
    return
  }
  // Quiet, and no mail sending from a one-off command: the running service's worker does that.
  const app = await buildAuthApp({
    config: { ...config, LOG_LEVEL: 'error', OUTBOX_WORKER_ENABLED: false },
  })
  await app.ready()
  try {
    await command.run({
      app,
      config,
      client: { ip: 'cli', userAgent: 'manage', requestId: newId() },
      args,
    })
  } finally {
    await app.close()
  }
}

try {
  // The same .env `pnpm start` reads, so both find the same database and key-encryption key.
  loadDevelopmentEnvFile()
  await main(process.argv.slice(2))
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`manage: ${error.message}`)
    console.error(error.usage)
    process.exitCode = 2
  } else if (error instanceof HttpProblem) {
    // A rule of the admin API said no: its message, and the code a script can branch on.
    console.error(`manage: ${error.message} (${error.code})`)
    process.exitCode = 1
  } else {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
    console.error(`manage: ${message}`)
    process.exitCode = 1
  }
}
