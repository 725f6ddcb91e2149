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

/** Runs `manage <args>` against `env`'s database; `stdin` is written and closed. */
export async function runManage(
  env: ManageEnv,
  args: string[],
  stdin = '',
): Promise<{ code: number; out: string; err: string }> {
  const child = spawn(process.execPath, [manageJs, ...args], {
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
