/** `pnpm manage` as an operator runs it: a real process of the built CLI, stdin piped. */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

const manageJs = fileURLToPath(new URL('../../dist/cli/manage.js', import.meta.url))

export interface ManageEnv {
  databaseUrl: string
  dataDir: string
  kek: string
}

/** A word for `sh -c`, whatever it holds. */
const shellWord = (word: string) => `'${word.replaceAll("'", "'\\''")}'`

/**
 * Runs `manage <args>` against `env`'s database; `stdin` is written and closed. With `tty`, the
 * CLI runs on a pseudo-terminal (util-linux `script`), as an operator at a keyboard: `stdin` is
 * what they type, and what the terminal shows (prompts, the typing echoed, stderr too) comes
 * back in `out`.
 */
export async function runManage(
  env: ManageEnv,
  args: string[],
  stdin = '',
  options: { tty?: boolean } = {},
): Promise<{ code: number; out: string; err: string }> {
  const [file, argv]: [string, string[]] = options.tty
    ? [
        'script',
        ['-qefc', [process.execPath, manageJs, ...args].map(shellWord).join(' '), '/dev/null'],
      ]
    : [process.execPath, [manageJs, ...args]]
  const child = spawn(file, argv, {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: env.databaseUrl,
      DATA_DIR: env.dataDir,
      KEY_ENCRYPTION_KEY: env.kek,
      LOG_LEVEL: 'warn',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (c) => {
    out += c
  })
  child.stderr.on('data', (c) => {
    err += c
  })
  child.stdin.end(stdin)
  const [code] = await once(child, 'exit')
  return { code: code as number, out, err }
}
