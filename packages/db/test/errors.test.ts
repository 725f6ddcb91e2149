import { describe, expect, it } from 'vitest'
import { DatabaseUnavailableError, translatePgError } from '../src/errors.js'

/** What drizzle throws: its own error, with the driver's (or the socket's) error as the cause. */
function drizzleError(cause: Error & { code?: string }): Error {
  return new Error('Failed query: insert into "users" ...', { cause })
}

function socketError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code })
}

describe('translatePgError: a lost PostgreSQL connection is unavailability (503), not a fault (500)', () => {
  it('answers a write to a connection the server closed (EPIPE, as Node 24 reports a restart) as unavailable', () => {
    const translated = translatePgError(drizzleError(socketError('EPIPE', 'write EPIPE')))
    expect(translated).toBeInstanceOf(DatabaseUnavailableError)
    expect((translated as DatabaseUnavailableError).message).toContain('EPIPE')
  })

  it('answers a reset and a closed connection as unavailable too', () => {
    for (const code of ['ECONNRESET', 'CONNECTION_CLOSED', '57P01']) {
      expect(translatePgError(drizzleError(socketError(code, code)))).toBeInstanceOf(
        DatabaseUnavailableError,
      )
    }
  })

  it('leaves an error it does not know as it is, for the 500 path', () => {
    const unknown = drizzleError(socketError('EACCES', 'permission denied'))
    expect(translatePgError(unknown)).toBe(unknown)
  })
})
