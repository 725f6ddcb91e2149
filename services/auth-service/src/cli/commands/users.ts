import { adminViewOf } from '@authpair/accounts'
import { type AdminUser, AdminUserListQuerySchema, RoleSchema } from '@authpair/contracts'
import type { UserRecord } from '@authpair/db'
import { decodeCursor, encodeCursor, HttpProblem } from '@authpair/service-kit'
import { z } from 'zod'
import {
  CLI_ACTOR,
  type CliContext,
  type Command,
  CommandFailed,
  findUser,
  printJson,
  userLabel,
} from '../cli-context.js'
import { commandHelp, UsageError } from '../command-line.js'
import { canAsk, confirm } from '../confirm.js'

/**
 * `users …`: the admin API's /admin/users from a shell, through the same account rules
 * (AccountRules.updateAccount and deleteAccount, as services/users-service's admin-users routes
 * call them) and audited the same way, with `cli` as the actor.
 */

/** The admin list's filters, with a bigger page: an operator's listing is not a console's. */
const ListOptionsSchema = AdminUserListQuerySchema.extend({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
})

const OPTION_OF: Record<string, string> = {
  email_prefix: '--email-prefix',
  role: '--role',
  active: '--active',
  limit: '--limit',
  cursor: '--cursor',
}

const str = (value: string | boolean | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined

/** The admin PATCH route's audit event, with the CLI as the actor. */
async function auditChange(ctx: CliContext, user: UserRecord, changes: Record<string, unknown>) {
  await ctx.app.auditTrail.record('user_updated', {
    userId: user.id,
    actorId: CLI_ACTOR,
    client: ctx.client,
    data: { changes },
  })
}

function printUser(view: AdminUser, liveSessions: number): void {
  const rows: [string, string][] = [
    ['id', view.id],
    ['email', view.email ?? '-'],
    ['email verified', String(view.email_verified)],
    ['name', view.name ?? '-'],
    ['locale', view.locale ?? '-'],
    ['role', view.role],
    ['active', String(view.is_active)],
    ['second factor', view.mfa_enabled ? 'on' : 'off'],
    ['providers', view.providers.join(' ') || '-'],
    ['created', view.created_at],
    ['updated', view.updated_at],
    ['live sessions', String(liveSessions)],
  ]
  for (const [key, value] of rows) console.log(`${key.padEnd(14)}  ${value}`)
}

const list: Command = {
  words: ['users', 'list'],
  positionals: { min: 0, max: 0 },
  options: {
    'email-prefix': { type: 'string', value: 'p', description: 'emails that start with p' },
    role: { type: 'string', value: 'user|admin', description: 'only this role' },
    active: { type: 'string', value: 'true|false', description: 'only active, or deactivated' },
    limit: { type: 'string', value: 'n', description: 'at most n users (1 to 1000; default 100)' },
    cursor: { type: 'string', value: 'c', description: 'the page after the one that said c' },
  },
  json: true,
  summary: 'users in creation order, filtered',
  details: [
    'A line per user: id, email, role, active or deactivated, verified or not, created.',
    'When there are more, the cursor of the next page goes to stderr (`more: --cursor …`);',
    'with --json it is the answer’s next_cursor, as in GET /admin/users.',
  ],
  async run(ctx) {
    const { values } = ctx.args
    const raw = {
      email_prefix: str(values['email-prefix']),
      role: str(values.role),
      active: str(values.active),
      limit: str(values.limit),
      cursor: str(values.cursor),
    }
    const parsed = ListOptionsSchema.safeParse(
      Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)),
    )
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const option = OPTION_OF[String(issue?.path[0])] ?? 'an option'
      throw new UsageError(`users list: ${option}: ${issue?.message}`, commandHelp(list))
    }
    const { cursor, limit, email_prefix, role, active } = parsed.data
    let afterId: string | undefined
    try {
      afterId = cursor ? decodeCursor(cursor) : undefined
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error
      throw new UsageError(`users list: --cursor: ${error.message}`, commandHelp(list))
    }
    const rows = await ctx.app.db.users.list({
      afterId,
      limit: limit + 1,
      emailPrefix: email_prefix,
      role,
      isActive: active,
    })
    const page = rows.slice(0, limit)
    const last = page.at(-1)
    const nextCursor = rows.length > limit && last ? encodeCursor(last.id) : null
    if (ctx.args.json) {
      const items = await Promise.all(page.map((user) => adminViewOf(ctx.app.db, user)))
      printJson({ items, next_cursor: nextCursor })
      return
    }
    for (const user of page) {
      console.log(
        `${user.id}  ${user.email ?? '-'}  ${user.role}  ${user.isActive ? 'active' : 'deactivated'}  ${user.emailVerified ? 'verified' : 'unverified'}  created ${user.createdAt.toISOString()}`,
      )
    }
    if (nextCursor) console.error(`more: --cursor ${nextCursor}`)
  },
}

const show: Command = {
  words: ['users', 'show'],
  args: '<email|id>',
  positionals: { min: 1, max: 1 },
  json: true,
  summary: 'one user: profile, role, activity, factors, live sessions',
  details: ['With --json, the admin API’s user (GET /admin/users/:id).'],
  async run(ctx) {
    const user = await findUser(ctx.app, ctx.args.positionals[0] ?? '')
    const view = await adminViewOf(ctx.app.db, user)
    if (ctx.args.json) {
      printJson(view)
      return
    }
    printUser(view, (await ctx.app.accounts.listSessions(user.id)).length)
  },
}

const activity = (enable: boolean): Command => ({
  words: ['users', enable ? 'enable' : 'disable'],
  args: '<email|id>',
  positionals: { min: 1, max: 1 },
  summary: enable
    ? 're-activate a deactivated user: they can sign in again'
    : 'deactivate a user: every session ends and every token is refused at once',
  details: enable
    ? ['The sessions that ended when it was deactivated stay ended.']
    : [
        'As PATCH /admin/users/:id {is_active: false}: the sessions end and the revocation feed',
        'says so, so verifiers elsewhere refuse its tokens too. Never the last active admin.',
      ],
  async run(ctx) {
    const user = await findUser(ctx.app, ctx.args.positionals[0] ?? '')
    await ctx.app.accountRules.updateAccount(user.id, { isActive: enable })
    await auditChange(ctx, user, { is_active: enable })
    console.log(
      enable
        ? `enabled ${userLabel(user)}`
        : `disabled ${userLabel(user)}: every session ended, every token refused`,
    )
  },
})

const setRole: Command = {
  words: ['users', 'set-role'],
  args: '<email|id> <role>',
  positionals: { min: 2, max: 2 },
  summary: 'make a user admin, or user again',
  details: [
    'Roles: user, admin. As PATCH /admin/users/:id {role}; never demotes the last active admin.',
    'To promote with the checks of a first admin (a verified address, its sessions ended),',
    'use create-admin --promote.',
  ],
  async run(ctx) {
    const [ref = '', rawRole = ''] = ctx.args.positionals
    const role = RoleSchema.safeParse(rawRole)
    if (!role.success) {
      throw new UsageError(
        `users set-role: the role is one of ${RoleSchema.options.join(', ')} (got ${rawRole})`,
        commandHelp(setRole),
      )
    }
    const user = await findUser(ctx.app, ref)
    await ctx.app.accountRules.updateAccount(user.id, { role: role.data })
    await auditChange(ctx, user, { role: role.data })
    console.log(`${userLabel(user)} is now ${role.data}`)
  },
}

const remove: Command = {
  words: ['users', 'delete'],
  args: '<email|id>',
  positionals: { min: 1, max: 1 },
  options: {
    yes: {
      type: 'boolean',
      description: 'delete without asking (required when not on a terminal)',
    },
  },
  summary: 'delete a user and everything of theirs; asks first',
  details: [
    'As DELETE /admin/users/:id: sessions, identities, factors and tokens go at once, and the',
    'revocation feed says so. Never the last active admin. On a terminal it asks you to type',
    'yes; from a script (stdin not a terminal) it refuses unless --yes is given.',
  ],
  async run(ctx) {
    const confirmed = ctx.args.values.yes === true
    if (!confirmed && !canAsk()) {
      throw new UsageError(
        'users delete: nobody can confirm (stdin is not a terminal): add --yes to delete',
        commandHelp(remove),
      )
    }
    const user = await findUser(ctx.app, ctx.args.positionals[0] ?? '')
    if (
      !confirmed &&
      !(await confirm(
        `delete ${userLabel(user)} (${user.id}), its sessions, identities and factors? This cannot be undone. Type yes to delete: `,
        'yes',
      ))
    ) {
      throw new CommandFailed(`not deleted: ${userLabel(user)} (the answer was not yes)`)
    }
    await ctx.app.accountRules.deleteAccount(user.id, ctx.client, CLI_ACTOR)
    console.log(`deleted ${userLabel(user)} (${user.id})`)
  },
}

export const userCommands: Command[] = [
  list,
  show,
  activity(false),
  activity(true),
  setRole,
  remove,
]
