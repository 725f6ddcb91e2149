/**
 * Plumbing for tests, benchmarks and the launcher that run the services as real processes on
 * loopback ports. Not part of a service's runtime; `@authpair/service-kit/testing`.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'

/** A loopback TCP port nobody listens on right now (the kernel picks it). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

export interface ServiceProcess {
  child: ChildProcess
  /** http://127.0.0.1:<port> */
  url: string
  /** SIGTERM, then waits for the exit (a no-op when it has already exited). */
  stop(): Promise<void>
}

export interface StartServiceOptions {
  /** The compiled entry point, e.g. services/auth-service/dist/server.js. */
  script: string
  /** The whole environment of the child (nothing is inherited but what is given). */
  env: Record<string, string>
  port: number
  /** How long to wait for GET /health to answer 200; default 10 s. */
  readyTimeoutMs?: number
  stdio?: 'ignore' | 'inherit'
  /** Extra node arguments before the script, e.g. ['--cpu-prof']. */
  nodeArgs?: string[]
}

/** Spawns a service and resolves once its /health answers 200; rejects if it exits first. */
export async function startServiceProcess(options: StartServiceOptions): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script], {
    env: { ...options.env, PORT: String(options.port) },
    stdio: ['ignore', options.stdio ?? 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${options.port}`
  const exited = once(child, 'exit')
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    await exited
  }
  const deadline = Date.now() + (options.readyTimeoutMs ?? 10_000)
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`${options.script} exited with ${child.exitCode} before it was ready`)
    }
    const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return { child, url, stop }
    await new Promise((r) => setTimeout(r, 50))
  }
  await stop()
  throw new Error(`${options.script} was not ready within ${options.readyTimeoutMs ?? 10_000} ms`)
}
