import { v7 } from 'uuid'

/**
 * A new row id: UUIDv7, so ids sort by creation time (cursor pagination relies on it). `at`
 * stamps it with another creation time than now: an imported account keeps its place in that
 * order (Django's date_joined).
 */
export function newId(at?: Date): string {
  return at === undefined ? v7() : v7({ msecs: at.getTime() })
}
