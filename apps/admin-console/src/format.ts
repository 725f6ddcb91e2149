/** Times as the API gives them (ISO 8601, UTC), shown the same way on every machine. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—'
  const date = new Date(iso)
  return Number.isNaN(date.getTime())
    ? iso
    : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

/** A `datetime-local` input's value (the operator's local time) as ISO 8601, or undefined. */
export function isoFromLocalInput(value: string): string | undefined {
  if (!value) return undefined
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}

/** "a, b,,c " → ["a", "b", "c"] */
export function listFromText(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter(Boolean)
}
