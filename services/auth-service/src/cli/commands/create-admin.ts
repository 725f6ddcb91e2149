import { normalizeEmail } from '@authpair/accounts'
import { passwordProblem } from '@authpair/passwords'
import { HttpProblem } from '@authpair/service-kit'
import { CLI_ACTOR, type CliContext, type Command, CommandFailed } from '../cli-context.js'
import { commandHelp, UsageError } from '../command-line.js'
import { readPassword } from '../read-password.js'

/**
 * `create-admin`: the first admin, or an existing account promoted with checks the plain role
 * change (users set-role, PATCH /admin/users/:id) leaves to the admin's judgement.
 */
export const createAdminCommand: Command = {
  words: ['create-admin'],
  args: '<email> [name…]',
  positionals: { min: 1, max: Number.POSITIVE_INFINITY },
  options: {
    promote: {
      type: 'boolean',
      description: 'make an existing account admin instead (only one with a verified address)',
    },
  },
  summary: 'create an admin (password from stdin, or asked without echo)',
  details: [
    'With --promote <email>: an existing account whose email is verified becomes admin, and',
    'every session it has ends (so a token minted before the promotion does not carry on).',
  ],
  async run(ctx) {
    const [rawEmail = '', ...nameParts] = ctx.args.positionals
    const email = normalizeEmail(rawEmail)
    if (ctx.args.values.promote === true) {
      if (nameParts.length > 0) {
        throw new UsageError(
          'create-admin --promote takes the email only',
          commandHelp(createAdminCommand),
        )
      }
      await promote(ctx, email)
      return
    }
    if (await ctx.app.db.users.findByEmail(email)) {
      // Whoever registered this address first would otherwise become admin, token and all.
      throw new CommandFailed(
        `an account with ${email} exists: to make it admin, run create-admin --promote ${email}`,
      )
    }
    const password = await readPassword(`password for ${email}: `)
    const problem = passwordProblem(password, { email })
    if (problem) throw new CommandFailed(`the password ${problem}`)
    let user: Awaited<ReturnType<typeof ctx.app.accountRules.createUser>>
    try {
      user = await ctx.app.accountRules.createUser({
        email,
        password,
        name: nameParts.join(' ') || null,
        role: 'admin',
        emailVerified: true,
      })
    } catch (error) {
      if (error instanceof HttpProblem) throw new CommandFailed(error.message)
      throw error
    }
    await ctx.app.auditTrail.record('user_registered', {
      userId: user.id,
      actorId: CLI_ACTOR,
      client: ctx.client,
      data: { role: 'admin', via: 'cli' },
    })
    console.log(`created admin ${email} (${user.id})`)
  },
}

async function promote(ctx: CliContext, email: string): Promise<void> {
  const existing = await ctx.app.db.users.findByEmail(email)
  if (!existing) throw new CommandFailed(`no account with ${email} to promote`)
  if (!existing.emailVerified) {
    throw new CommandFailed(
      `${email} has not verified its address, so it may not belong to its owner: verify it (or reset its password) first`,
    )
  }
  const now = new Date()
  await ctx.app.db.users.update(existing.id, { role: 'admin', updatedAt: now })
  const ended = await ctx.app.db.sessions.revokeAllForUser(existing.id, {
    now,
    reason: 'promoted',
  })
  await ctx.app.auditTrail.record('role_changed', {
    userId: existing.id,
    actorId: CLI_ACTOR,
    client: ctx.client,
    data: { role: 'admin', via: 'cli', sessions_revoked: ended },
  })
  console.log(`promoted ${email} to admin; ended ${ended} session(s): sign in again`)
}
