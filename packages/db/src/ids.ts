import { v7 } from 'uuid'

/** A new row id: UUIDv7, so ids sort by creation time (cursor pagination relies on it). */
export function newId(): string {
  return v7()
}
