import { CreateClientBodySchema } from '@authpair/contracts'
import {
  CLI_ACTOR,
  type CliContext,
  type Command,
  CommandFailed,
  printJson,
} from '../cli-context.js'

/** `clients …`: the registry of the client-credentials grant, as /admin/clients manages it. */

const who = (ctx: CliContext) => ({ client: ctx.client, actorId: CLI_ACTOR })

/** `--scopes a,b` → ['a', 'b']; absent → []. */
const commaList = (value: string | boolean | undefined): string[] =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : []

const list: Command = {
  words: ['clients', 'list'],
  positionals: { min: 0, max: 0 },
  json: true,
  summary: 'the clients of the client-credentials grant',
  async run(ctx) {
    const clients = (await ctx.app.clients.list(undefined, 1000)).map((c) =>
      ctx.app.clients.view(c),
    )
    if (ctx.args.json) {
      printJson({ items: clients })
      return
    }
    for (const c of clients) {
      console.log(
        `${c.client_id}  ${c.name}  scopes: ${c.scopes.join(' ') || '-'}  audiences: ${c.audiences.join(' ') || '-'}${c.disabled ? '  (disabled)' : ''}`,
      )
    }
  },
}

const create: Command = {
  words: ['clients', 'create'],
  args: '<name>',
  positionals: { min: 1, max: 1 },
  options: {
    scopes: { type: 'string', value: 'a,b', description: 'the scopes it may ask for' },
    audiences: { type: 'string', value: 'x,y', description: 'the audiences it may ask for' },
  },
  summary: 'register a client; prints its id and secret (shown once)',
  async run(ctx) {
    const parsed = CreateClientBodySchema.safeParse({
      name: ctx.args.positionals[0],
      scopes: commaList(ctx.args.values.scopes),
      audiences: commaList(ctx.args.values.audiences),
    })
    if (!parsed.success) {
      throw new CommandFailed(
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      )
    }
    const { client, secret } = await ctx.app.clients.create(parsed.data, who(ctx))
    console.log(`created client ${client.id}\nclient_secret: ${secret}\n(shown once: store it now)`)
  },
}

const byId = (
  action: string,
  summary: string,
  run: (ctx: CliContext, id: string) => Promise<void>,
): Command => ({
  words: ['clients', action],
  args: '<id>',
  positionals: { min: 1, max: 1 },
  summary,
  run: (ctx) => run(ctx, ctx.args.positionals[0] ?? ''),
})

export const clientCommands: Command[] = [
  list,
  create,
  byId('rotate', 'a new secret (the old one stops working at once)', async (ctx, id) => {
    const { secret } = await ctx.app.clients.rotateSecret(id, who(ctx))
    console.log(`new secret for ${id}\nclient_secret: ${secret}\n(shown once: store it now)`)
  }),
  byId('disable', 'a disabled client’s secret stops working at once', async (ctx, id) => {
    await ctx.app.clients.update(id, { disabled: true }, who(ctx))
    console.log(`disabled client ${id}`)
  }),
  byId('enable', 'let a disabled client in again', async (ctx, id) => {
    await ctx.app.clients.update(id, { disabled: false }, who(ctx))
    console.log(`enabled client ${id}`)
  }),
  byId('delete', 'remove a client', async (ctx, id) => {
    await ctx.app.clients.delete(id, who(ctx))
    console.log(`deleted client ${id}`)
  }),
]
