import { CLI_ACTOR, type Command, findUser, printJson, userLabel } from '../cli-context.js'

/** `sessions …`: a user's sessions, as /auth/sessions lists them and /admin/auth ends them. */

const list: Command = {
  words: ['sessions', 'list'],
  args: '<email|id>',
  positionals: { min: 1, max: 1 },
  json: true,
  summary: 'a user’s live sessions, newest first',
  details: ['A line per session: id, created, last used, expires, address, amr, user agent.'],
  async run(ctx) {
    const user = await findUser(ctx.app, ctx.args.positionals[0] ?? '')
    const sessions = await ctx.app.accounts.listSessions(user.id)
    if (ctx.args.json) {
      printJson({
        items: sessions.map((s) => ({
          id: s.id,
          created_at: s.createdAt.toISOString(),
          last_used_at: s.lastUsedAt.toISOString(),
          expires_at: s.expiresAt.toISOString(),
          ip: s.ip,
          user_agent: s.userAgent,
          amr: s.amr?.split(' ') ?? [],
        })),
      })
      return
    }
    for (const s of sessions) {
      console.log(
        `${s.id}  created ${s.createdAt.toISOString()}  last used ${s.lastUsedAt.toISOString()}  expires ${s.expiresAt.toISOString()}  ${s.ip ?? '-'}  ${s.amr ?? '-'}  ${s.userAgent ?? '-'}`,
      )
    }
    if (sessions.length === 0) console.error(`${userLabel(user)} has no live session`)
  },
}

const revoke: Command = {
  words: ['sessions', 'revoke'],
  args: '<email|id>',
  positionals: { min: 1, max: 1 },
  summary: 'end every session of a user',
  details: [
    'As DELETE /admin/auth/users/:id/sessions: the refresh tokens stop at once, and the',
    'revocation feed ends the access tokens for verifiers that follow it.',
  ],
  async run(ctx) {
    const user = await findUser(ctx.app, ctx.args.positionals[0] ?? '')
    const count = await ctx.app.db.sessions.revokeAllForUser(user.id, {
      now: new Date(),
      reason: 'admin',
    })
    await ctx.app.auditTrail.record('sessions_revoked', {
      userId: user.id,
      actorId: CLI_ACTOR,
      client: ctx.client,
      data: { reason: 'admin', count },
    })
    console.log(`revoked ${count} session(s) of ${userLabel(user)}`)
  },
}

export const sessionCommands: Command[] = [list, revoke]
