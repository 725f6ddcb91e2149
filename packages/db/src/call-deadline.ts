import { DatabaseUnavailableError } from './errors.js'

/**
 * `work`, or a `DatabaseUnavailableError` if it has not settled within `ms` (and `onExpired` is
 * told). A server that accepts connections but never answers (a silent network partition)
 * then cannot hold a caller: no server-side timeout can end that, since the server never hears
 * of the query, and the driver would wait forever. The work itself goes on (a query on the wire
 * cannot be taken back); its late result or error is dropped here, never left unhandled.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, onExpired?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new DatabaseUnavailableError(`database did not answer within ${ms} ms`))
      onExpired?.()
    }, ms)
    // A pending call must not keep a closing process alive.
    timer.unref()
  })
  return Promise.race([work, expired]).finally(() => clearTimeout(timer))
}
