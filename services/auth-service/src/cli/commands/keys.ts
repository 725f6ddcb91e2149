import { signingKeyView } from '../../keys/key-store.js'
import { CLI_ACTOR, type Command, printJson } from '../cli-context.js'

/** `keys …`: the signing keys, as /admin/auth/keys lists and rotates them. */

const list: Command = {
  words: ['keys', 'list'],
  positionals: { min: 0, max: 0 },
  json: true,
  summary: 'the signing keys and their status (next, active, retired)',
  async run(ctx) {
    const now = new Date()
    const keys = await ctx.app.db.signingKeys.list()
    if (ctx.args.json) {
      printJson({ items: keys.map((key) => signingKeyView(key, now)) })
      return
    }
    for (const key of keys) {
      const view = signingKeyView(key, now)
      console.log(
        `${view.kid}  ${view.alg}  ${view.status.padEnd(7)}  activates ${view.activates_at}` +
          (view.published_until ? `  published until ${view.published_until}` : ''),
      )
    }
  },
}

const rotate: Command = {
  words: ['keys', 'rotate'],
  positionals: { min: 0, max: 0 },
  summary: 'publish a new signing key (it signs after the publish lead)',
  async run(ctx) {
    const key = await ctx.app.rotateSigningKey()
    await ctx.app.auditTrail.record('key_rotated', {
      userId: null,
      actorId: CLI_ACTOR,
      client: ctx.client,
      data: { kid: key.kid },
    })
    console.log(`new key ${key.kid} published; it signs from ${key.activatesAt.toISOString()}`)
  },
}

export const keyCommands: Command[] = [list, rotate]
