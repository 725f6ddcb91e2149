import { CLI_ACTOR, type Command, findUser, userLabel } from '../cli-context.js'

/** `mfa remove`: a lost phone, no recovery code left. */
const remove: Command = {
  words: ['mfa', 'remove'],
  args: '<email|id>',
  positionals: { min: 1, max: 1 },
  summary: 'remove a user’s authenticator and recovery codes (audited, the user mailed)',
  details: ['As DELETE /admin/auth/users/:id/mfa. Passkeys are not removed.'],
  async run(ctx) {
    const user = await findUser(ctx.app, ctx.args.positionals[0] ?? '')
    await ctx.app.mfa.removeByAdmin(user.id, CLI_ACTOR, ctx.client)
    console.log(`removed the second factors of ${userLabel(user)}; they were mailed a notice`)
  },
}

export const mfaCommands: Command[] = [remove]
