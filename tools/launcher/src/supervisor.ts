import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'

export interface ServiceProcess {
  name: string
  child: ChildProcess
  /** Resolves with the exit code when the process ends, whoever ended it. */
  exited: Promise<number | null>
}

/** Starts `node script` with its own environment; its logs go to ours. */
export function startService(name: string, script: string, env: NodeJS.ProcessEnv): ServiceProcess {
  const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'inherit', 'inherit'] })
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  return { name, child, exited }
}

/** Polls `url` until it answers 2xx; throws after `timeoutMs` or if the process exits first. */
export async function waitHealthy(
  service: ServiceProcess,
  url: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let exitedEarly = false
  void service.exited.then(() => {
    exitedEarly = true
  })
  while (Date.now() < deadline) {
    if (exitedEarly) throw new Error(`${service.name} exited during start-up`)
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      (res) => res.ok,
      () => false,
    )
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${service.name} did not become healthy within ${timeoutMs} ms`)
}

/** SIGTERM, then SIGKILL after `graceMs` if it is still running. */
export async function stopService(service: ServiceProcess, graceMs: number): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return
  service.child.kill('SIGTERM')
  const timer = setTimeout(() => service.child.kill('SIGKILL'), graceMs)
  await service.exited
  clearTimeout(timer)
}
