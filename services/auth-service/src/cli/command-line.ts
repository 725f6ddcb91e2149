import { parseArgs } from 'node:util'

/**
 * The command line of `pnpm manage`, on node:util's parseArgs (strict: an unknown flag, a flag
 * without its value or a value where none belongs is an error, not something ignored). This
 * file knows the syntax only; what a command does is in command-table.ts.
 */

export interface OptionSpec {
  type: 'string' | 'boolean'
  /** What a string option's value is, for the help: `--role <role>`. */
  value?: string
  /** Missing it is a usage error. */
  required?: boolean
  description: string
}

export interface CommandSyntax {
  /** The words that name the command: `['users', 'list']`. */
  words: readonly string[]
  /** Its arguments, for the usage line: `<email|id> <role>`. */
  args?: string
  /** How many positional arguments it takes. */
  positionals: { min: number; max: number }
  options?: Readonly<Record<string, OptionSpec>>
  /** It prints something to read (a listing, a record): `--json` prints it as JSON instead. */
  json?: boolean
  /** One line, for the list of commands. */
  summary: string
  /** More, for the command's own --help. */
  details?: readonly string[]
}

export interface ParsedArgs {
  positionals: string[]
  values: Record<string, string | boolean | undefined>
  json: boolean
}

export type ParsedCommandLine<T extends CommandSyntax> =
  | { kind: 'help'; text: string }
  | { kind: 'run'; command: T; args: ParsedArgs }

/** The command line is wrong: exit status 2, with the usage of what was asked for. */
export class UsageError extends Error {
  readonly code = 'usage'
  constructor(
    message: string,
    /** The help to show under the message. */
    readonly usage: string,
  ) {
    super(message)
    this.name = 'UsageError'
  }
}

const PROGRAM = 'manage'
const EXIT_STATUS =
  'exit status: 0 done, 1 the command failed (the message says why), 2 the command line is wrong'

function optionUsage(name: string, spec: OptionSpec): string {
  const flag = spec.type === 'string' ? `--${name} <${spec.value ?? 'value'}>` : `--${name}`
  return spec.required ? flag : `[${flag}]`
}

/** `users set-role <email|id> <role>` (the words, the arguments, the options). */
export function usageLine(command: CommandSyntax): string {
  const options = Object.entries(command.options ?? {}).map(([n, s]) => optionUsage(n, s))
  if (command.json) options.push('[--json]')
  return [...command.words, command.args, ...options].filter(Boolean).join(' ')
}

function listing(commands: readonly CommandSyntax[]): string {
  const lines: string[] = []
  for (const command of commands) {
    const line = usageLine(command)
    if (line.length <= 44) lines.push(`  ${line.padEnd(44)}  ${command.summary}`)
    else lines.push(`  ${line}`, `  ${' '.repeat(44)}  ${command.summary}`)
  }
  return lines.join('\n')
}

/** `manage --help`: every command. */
export function overallHelp(commands: readonly CommandSyntax[]): string {
  return [
    `usage: ${PROGRAM} <command> [options]     (${PROGRAM} <command> --help: one command in full)`,
    '',
    listing(commands),
    '',
    EXIT_STATUS,
  ].join('\n')
}

/** `manage users --help`: the commands that start with that word. */
function groupHelp(word: string, commands: readonly CommandSyntax[]): string {
  return [
    `usage: ${PROGRAM} ${word} <command> [options]`,
    '',
    listing(commands.filter((c) => c.words[0] === word)),
  ].join('\n')
}

/** `manage users list --help`: one command, its options and what it does. */
export function commandHelp(command: CommandSyntax): string {
  const options = Object.entries(command.options ?? {}).map(([name, spec]) => [
    spec.type === 'string' ? `--${name} <${spec.value ?? 'value'}>` : `--${name}`,
    spec.description,
  ])
  if (command.json) options.push(['--json', 'print JSON (the admin API’s shape) instead of text'])
  options.push(['-h, --help', 'this help'])
  const width = Math.max(...options.map(([flag]) => flag?.length ?? 0))
  return [
    `usage: ${PROGRAM} ${usageLine(command)}`,
    '',
    command.summary,
    ...(command.details ?? []),
    '',
    'options:',
    ...options.map(([flag, text]) => `  ${(flag ?? '').padEnd(width)}  ${text}`),
  ].join('\n')
}

/** parseArgs reports a bad command line with an ERR_PARSE_ARGS_* code. */
function isParseArgsError(error: unknown): error is Error & { code: string } {
  if (!(error instanceof Error)) return false
  const code: unknown = (error as Error & { code?: unknown }).code
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')
}

const isHelpFlag = (arg: string | undefined) => arg === '--help' || arg === '-h'

/**
 * What `argv` asks for: help (`--help`, `help [command…]`, `<command> --help`) or a command with
 * its parsed arguments. Throws UsageError for an unknown command or flag, a missing or surplus
 * argument, a missing required option.
 */
export function parseCommandLine<T extends CommandSyntax>(
  argv: readonly string[],
  commands: readonly T[],
): ParsedCommandLine<T> {
  const overall = overallHelp(commands)
  const [first] = argv
  if (first === undefined) throw new UsageError('no command given', overall)
  if (first === 'help' || isHelpFlag(first)) {
    const asked = argv.slice(1).filter((a) => !isHelpFlag(a))
    if (asked.length === 0) return { kind: 'help', text: overall }
    const found = commandFor(asked, commands)
    if (found && found.words.length === asked.length) {
      return { kind: 'help', text: commandHelp(found) }
    }
    if (asked.length === 1 && commands.some((c) => c.words[0] === asked[0])) {
      return { kind: 'help', text: groupHelp(asked[0] ?? '', commands) }
    }
    throw new UsageError(`unknown command: ${asked.join(' ')}`, overall)
  }

  const command = commandFor(argv, commands)
  if (!command) {
    const group = commands.filter((c) => c.words[0] === first && c.words.length > 1)
    if (group.length === 0) throw new UsageError(`unknown command: ${first}`, overall)
    const sub = argv[1]
    if (isHelpFlag(sub)) return { kind: 'help', text: groupHelp(first, commands) }
    throw new UsageError(
      sub === undefined
        ? `${first} needs a command: ${group.map((c) => c.words[1]).join(', ')}`
        : `unknown command: ${first} ${sub}`,
      groupHelp(first, commands),
    )
  }

  const name = command.words.join(' ')
  const help = commandHelp(command)
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: argv.slice(command.words.length),
      options: {
        ...Object.fromEntries(
          Object.entries(command.options ?? {}).map(([n, spec]) => [n, { type: spec.type }]),
        ),
        ...(command.json ? { json: { type: 'boolean' } } : {}),
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    })
  } catch (error) {
    // parseArgs's message goes on with advice on `--`; its first sentence names the problem.
    if (isParseArgsError(error)) {
      throw new UsageError(`${name}: ${error.message.split('. ')[0]}`, help)
    }
    throw error
  }
  if (parsed.values.help) return { kind: 'help', text: help }
  const { min, max } = command.positionals
  if (parsed.positionals.length < min) {
    throw new UsageError(`${name} needs ${command.args ?? 'an argument'}`, help)
  }
  if (parsed.positionals.length > max) {
    const extra = parsed.positionals.slice(max).join(' ')
    throw new UsageError(`${name}: unexpected argument ${extra}`, help)
  }
  for (const [option, spec] of Object.entries(command.options ?? {})) {
    if (spec.required && parsed.values[option] === undefined) {
      throw new UsageError(`${name} needs --${option}`, help)
    }
  }
  const values = parsed.values as Record<string, string | boolean | undefined>
  return {
    kind: 'run',
    command,
    args: { positionals: parsed.positionals, values, json: values.json === true },
  }
}

/** The command named by the longest run of leading words of `argv`. */
function commandFor<T extends CommandSyntax>(
  argv: readonly string[],
  commands: readonly T[],
): T | undefined {
  let best: T | undefined
  for (const command of commands) {
    if (!command.words.every((word, i) => argv[i] === word)) continue
    if (!best || command.words.length > best.words.length) best = command
  }
  return best
}
