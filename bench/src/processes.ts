import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

const hasTaskset = !spawnSync('taskset', ['-V']).error

/** On these 2-core machines the services run on core 0 and the load generator on core 1. */
export function pinned(core: number, command: string, args: string[]): [string, string[]] {
  return hasTaskset ? ['taskset', ['-c', String(core), command, ...args]] : [command, args]
}

export const tasksetAvailable = hasTaskset

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

export interface Started {
  name: string
  child: ChildProcess
  port: number
  url: string
  /** Spawn to first 2xx on the ready path, ms. */
  coldStartMs: number
}

export async function startNode(
  name: string,
  script: string,
  env: Record<string, string>,
  readyPath = '/health',
  core = 0,
  nodeFlags: string[] = [],
): Promise<Started> {
  const port = await freePort()
  const started = performance.now()
  const [command, args] = pinned(core, process.execPath, [...nodeFlags, script])
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`)
    const ok = await fetch(`${url}${readyPath}`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) break
    if (performance.now() - started > 30_000) throw new Error(`${name} did not start`)
    await new Promise((r) => setTimeout(r, 10))
  }
  return { name, child, port, url, coldStartMs: performance.now() - started }
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  await once(child, 'exit')
}

/** Peak resident set (VmHWM) of a process, MB; the node process, not taskset. */
export function peakRssMb(child: ChildProcess): number | undefined {
  const pid = child.pid
  if (!pid) return undefined
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1]
    return kb ? Number(kb) / 1024 : undefined
  } catch {
    return undefined
  }
}
