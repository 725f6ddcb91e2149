import type { ClientRecord, NewClient } from '../records.js'

export type ClientPatch = Partial<
  Pick<ClientRecord, 'name' | 'secretHash' | 'scopes' | 'audiences' | 'disabled'>
> & { updatedAt: Date }

export interface ClientRepository {
  /** Registers a client; UniqueViolationError for a taken id. */
  create(client: NewClient): Promise<ClientRecord>
  findById(id: string): Promise<ClientRecord | undefined>
  /** Clients in creation order (ids are UUIDv7), after `afterId`, at most `limit`. */
  list(query: { afterId?: string | undefined; limit: number }): Promise<ClientRecord[]>
  /** The updated row, or undefined when no client has that id. */
  update(id: string, patch: ClientPatch): Promise<ClientRecord | undefined>
  /** True when a row went. */
  delete(id: string): Promise<boolean>
  /** Records a use of the client's secret, unless one at or after `notBefore` already is. */
  touch(id: string, at: Date, notBefore: Date): Promise<void>
}
