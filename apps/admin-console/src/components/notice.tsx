import { ApiError } from '../api.js'

/** What a failed call says, for people: the problem's detail and its stable code. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.code})`
  return error instanceof Error ? error.message : String(error)
}

/** The outcome of the last action: announced by screen readers (status, or alert for errors). */
export function Notice({ error, done }: { error?: unknown; done?: string | null }) {
  if (error) {
    return (
      <p class="notice error" role="alert">
        {describeError(error)}
      </p>
    )
  }
  return (
    <p class="notice" role="status">
      {done ?? ''}
    </p>
  )
}
