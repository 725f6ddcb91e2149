import { HttpProblem } from './problem.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Page cursors are opaque to clients: the last id of the page, base64url. */
export const encodeCursor = (id: string): string => Buffer.from(id, 'utf8').toString('base64url')

/** The id a cursor stands for; 400 validation_failed for anything this API did not return. */
export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8')
  if (!UUID.test(id)) {
    throw new HttpProblem(400, 'validation_failed', 'The cursor is not valid.', {
      errors: [{ path: 'query.cursor', message: 'is not a cursor this API returned' }],
    })
  }
  return id
}
