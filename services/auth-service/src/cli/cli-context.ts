import { normalizeEmail } from '@authpair/accounts'
import { IdSchema } from '@authpair/contracts'
import type { AuditClient, UserRecord } from '@authpair/db'
import type { buildAuthApp } from '../app.js'
import type { AuthConfig } from '../config.js'
import type { CommandSyntax, ParsedArgs } from './command-line.js'

export type AuthApp = Awaited<ReturnType<typeof buildAuthApp>>

/**
 * The `actor_id` of every audit event a `pnpm manage` command causes: no account acted, a shell
 * on the server did. (Events caused through the admin API carry the admin's user id there.)
 */
export const CLI_ACTOR = 'cli'

/** What a command that works on the data gets: the auth-service app, built as the server builds it. */
export interface CliContext {
  app: AuthApp
  config: AuthConfig
  /** The audit trail's "client" of the CLI: ip `cli`, user agent `manage`, a fresh request id. */
  client: AuditClient
  args: ParsedArgs
}

/**
 * A command: its syntax, and what it does. Most work on the data through the auth-service app;
 * `withoutApp` ones (migrate) get the configuration only, since the app needs a migrated
 * database to start.
 */
export type Command = CommandSyntax &
  (
    | { withoutApp: true; run(config: AuthConfig, args: ParsedArgs): Promise<void> }
    | { withoutApp?: false; run(ctx: CliContext): Promise<void> }
  )

/** The command ran and failed (no such user, a rule said no): exit status 1, one line. */
export class CommandFailed extends Error {
  readonly code = 'command_failed'
  constructor(message: string) {
    super(message)
    this.name = 'CommandFailed'
  }
}

/**
 * The user an operator named: a user id (a UUID) or an email (normalized as sign-in does).
 * CommandFailed when there is none.
 */
export async function findUser(app: AuthApp, ref: string): Promise<UserRecord> {
  const byId = IdSchema.safeParse(ref).success
  const key = byId ? ref.toLowerCase() : normalizeEmail(ref)
  const user = byId ? await app.db.users.findById(key) : await app.db.users.findByEmail(key)
  if (!user) throw new CommandFailed(`no user ${key}`)
  return user
}

/** How a command's output names a user: the email, or the id of an account without one. */
export const userLabel = (user: Pick<UserRecord, 'id' | 'email'>): string => user.email ?? user.id

/** `--json`: the value as the admin API would answer it, indented for a reader and for jq. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2))
}
