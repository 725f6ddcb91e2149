import { createRequire } from 'node:module'
import type PinoPretty from 'pino-pretty'
import type { BaseConfig } from './config-loader.js'

/**
 * pino-pretty is loaded on first use, not with this module: it costs every service start
 * about 33 ms (measured on Node 24 here), in production too, for a stream only a development
 * terminal gets.
 */
const require = createRequire(import.meta.url)

/**
 * Whether a service writes pino-pretty's coloured lines instead of JSON: only in development,
 * and only when stdout is a terminal (someone is reading it: `pnpm start`, whose services
 * inherit its terminal, or `pnpm dev`). Piped or redirected output, production and the test
 * runs (NODE_ENV test) always get one JSON object a line, for log shippers and for tests that
 * parse them.
 */
export function wantsPrettyLogs(
  config: Pick<BaseConfig, 'NODE_ENV'>,
  stdout: { isTTY?: boolean } = process.stdout,
): boolean {
  return config.NODE_ENV === 'development' && stdout.isTTY === true
}

/**
 * The pretty destination: synchronous (no worker thread, nothing lost at exit), the service's
 * name in front of each message, pid and hostname left out.
 */
export function prettyLogStream(destination?: NodeJS.WritableStream) {
  const pretty = require('pino-pretty') as typeof PinoPretty
  return pretty({
    // Colours when writing to the terminal (pino-pretty's own check); none into a given stream.
    ...(destination ? { colorize: false } : {}),
    sync: true,
    translateTime: 'HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    messageFormat: '{service}: {msg}',
    ...(destination ? { destination } : {}),
  })
}
