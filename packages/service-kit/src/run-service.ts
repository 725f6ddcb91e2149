import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import type { BaseConfig } from './config-loader.js'

export interface RunServiceOptions<C extends BaseConfig> {
  name: string
  /** Reads and validates the configuration; throws a one-line error when it is bad. */
  loadConfig: () => C
  buildApp: (config: C) => Promise<FastifyInstance>
  /** Called once the server listens; e.g. to start background workers. */
  onListening?: (app: FastifyInstance, config: C) => void
}

function oneLine(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    if (code === 'EADDRINUSE') return 'the address is already in use'
    if (code === 'EACCES') return 'permission denied (a port below 1024 needs privileges)'
    if (code === 'EADDRNOTAVAIL') return 'the address is not available on this machine'
    return error.message.split('\n')[0] ?? error.name
  }
  return String(error)
}

/**
 * The process lifecycle of a service (fastify/demo's server.ts): validate config or exit 1 with
 * one line; build the app; close gracefully on SIGINT/SIGTERM (stop accepting, let in-flight
 * requests finish, close pools) within SHUTDOWN_GRACE_MS; exit 1 with one line if it cannot
 * listen.
 */
export async function runService<C extends BaseConfig & { PORT: number }>(
  options: RunServiceOptions<C>,
): Promise<void> {
  let config: C
  try {
    config = options.loadConfig()
  } catch (error) {
    console.error(`${options.name}: ${oneLine(error)}`)
    process.exit(1)
  }

  let app: FastifyInstance
  try {
    app = await options.buildApp(config)
    await app.ready()
  } catch (error) {
    console.error(`${options.name}: cannot start: ${oneLine(error)}`)
    process.exit(1)
  }

  closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'closing after an uncaught error')
    else app.log.info({ signal }, 'shutting down: finishing in-flight requests')
    await app.close()
  })

  try {
    await app.listen({ host: config.HOST, port: config.PORT })
  } catch (error) {
    console.error(
      `${options.name}: cannot listen on ${config.HOST}:${config.PORT}: ${oneLine(error)}`,
    )
    await app.close().catch(() => {})
    process.exit(1)
  }
  options.onListening?.(app, config)
}
