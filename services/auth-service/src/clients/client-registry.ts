import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { AuditTrail, Clock } from '@authpair/accounts'
import type { Client, OAuthErrorCode, OAuthTokenResponse } from '@authpair/contracts'
import { type AuditClient, type ClientRecord, type Database, newId } from '@authpair/db'
import { HttpProblem } from '@authpair/service-kit'
import type { AccessTokenIssuer } from '../tokens/access-token-issuer.js'

/** A failure of the token endpoint, in RFC 6749 §5.2's terms. */
export class OAuthTokenError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly status: number,
    description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description)
    this.name = 'OAuthTokenError'
  }
}

export interface ClientRegistryDeps {
  db: Database
  accessTokens: AccessTokenIssuer
  audit: AuditTrail
  now: Clock
  /** The audience of a token whose client lists none (JWT_AUDIENCE). */
  defaultAudience: string
}

/** A client's secret: 256 random bits, with a prefix that secret scanners can recognise. */
function newSecret(): string {
  return `aps_${randomBytes(32).toString('base64url')}`
}

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest()
}

const words = (value: string): string[] => value.split(' ').filter(Boolean)

/** The same work for an unknown client as for a known one: no timing tells which ids exist. */
const UNKNOWN_CLIENT_HASH = hashSecret(newSecret())

const notFound = () => new HttpProblem(404, 'not_found', 'No such client.')

/**
 * Clients of the client-credentials grant (internal services): registered by an admin, each
 * with a secret shown once and stored as its SHA-256 (256 random bits need no slow hash), the
 * scopes it may ask for and the audiences its tokens may name. A disabled or deleted client's
 * secret stops working at once: every token request reads the client.
 */
export class ClientRegistry {
  constructor(private readonly deps: ClientRegistryDeps) {}

  view(client: ClientRecord): Client {
    return {
      client_id: client.id,
      name: client.name,
      scopes: words(client.scopes),
      audiences: words(client.audiences),
      disabled: client.disabled,
      created_at: client.createdAt.toISOString(),
      updated_at: client.updatedAt.toISOString(),
      last_used_at: client.lastUsedAt?.toISOString() ?? null,
    }
  }

  async create(
    input: { name: string; scopes: readonly string[]; audiences: readonly string[] },
    who: { client: AuditClient; actorId: string | null },
  ): Promise<{ client: ClientRecord; secret: string }> {
    const now = this.deps.now()
    const secret = newSecret()
    const client = await this.deps.db.clients.create({
      id: newId(),
      name: input.name,
      secretHash: hashSecret(secret).toString('base64url'),
      scopes: [...new Set(input.scopes)].join(' '),
      audiences: [...new Set(input.audiences)].join(' '),
      createdAt: now,
      updatedAt: now,
    })
    await this.audit('client_created', client, who, {
      scopes: input.scopes,
      audiences: input.audiences,
    })
    return { client, secret }
  }

  async rotateSecret(
    id: string,
    who: { client: AuditClient; actorId: string | null },
  ): Promise<{ client: ClientRecord; secret: string }> {
    const secret = newSecret()
    const client = await this.deps.db.clients.update(id, {
      secretHash: hashSecret(secret).toString('base64url'),
      updatedAt: this.deps.now(),
    })
    if (!client) throw notFound()
    await this.audit('client_secret_rotated', client, who)
    return { client, secret }
  }

  async update(
    id: string,
    change: { name?: string; scopes?: string[]; audiences?: string[]; disabled?: boolean },
    who: { client: AuditClient; actorId: string | null },
  ): Promise<ClientRecord> {
    const client = await this.deps.db.clients.update(id, {
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.scopes !== undefined ? { scopes: [...new Set(change.scopes)].join(' ') } : {}),
      ...(change.audiences !== undefined
        ? { audiences: [...new Set(change.audiences)].join(' ') }
        : {}),
      ...(change.disabled !== undefined ? { disabled: change.disabled } : {}),
      updatedAt: this.deps.now(),
    })
    if (!client) throw notFound()
    await this.audit('client_updated', client, who, { changes: change })
    return client
  }

  async delete(id: string, who: { client: AuditClient; actorId: string | null }): Promise<void> {
    const client = await this.deps.db.clients.findById(id)
    if (!client || !(await this.deps.db.clients.delete(id))) throw notFound()
    await this.audit('client_deleted', client, who)
  }

  async list(afterId: string | undefined, limit: number): Promise<ClientRecord[]> {
    return this.deps.db.clients.list({ afterId, limit })
  }

  /**
   * The client these credentials prove, or an invalid_client error: unknown id, wrong secret
   * (compared in constant time, with the same work for an unknown id), or a disabled client.
   */
  async authenticate(
    clientId: string,
    secret: string,
    who: { client: AuditClient },
  ): Promise<ClientRecord> {
    const client = await this.deps.db.clients.findById(clientId)
    const expected = client ? Buffer.from(client.secretHash, 'base64url') : UNKNOWN_CLIENT_HASH
    const presented = hashSecret(secret)
    const matches = expected.length === presented.length && timingSafeEqual(expected, presented)
    if (!client || !matches || client.disabled) {
      await this.deps.audit.record('client_auth_failed', {
        userId: null,
        client: who.client,
        data: {
          client_id: clientId.slice(0, 200),
          reason: !client ? 'unknown_client' : !matches ? 'wrong_secret' : 'disabled',
        },
      })
      throw new OAuthTokenError('invalid_client', 401, 'Client authentication failed.', {
        'www-authenticate': 'Basic realm="authpair", charset="UTF-8"',
      })
    }
    return client
  }

  /**
   * A token for the client (the client-credentials grant): the requested scopes, which must be
   * among the client's (all of them when none is asked for, RFC 6749 §3.3), and one audience
   * from the client's list (`audience`, or RFC 8707's `resource`; the only one, or the default
   * audience, when none is asked for).
   */
  async issueToken(
    client: ClientRecord,
    request: { scope?: string | undefined; audiences: readonly string[] },
    who: { client: AuditClient },
  ): Promise<OAuthTokenResponse> {
    const allowedScopes = words(client.scopes)
    const requested = request.scope === undefined ? allowedScopes : words(request.scope)
    const notAllowed = requested.filter((scope) => !allowedScopes.includes(scope))
    if (notAllowed.length > 0) {
      throw new OAuthTokenError(
        'invalid_scope',
        400,
        `The client may not ask for: ${notAllowed.join(' ')}.`,
      )
    }
    const audience = this.audienceFor(client, request.audiences)
    const scopes = [...new Set(requested)]
    const issued = await this.deps.accessTokens.issueForClient({
      clientId: client.id,
      scopes,
      audience,
    })
    const now = this.deps.now()
    await this.deps.db.clients.touch(client.id, now, new Date(now.getTime() - 60_000))
    await this.deps.audit.record('client_token_issued', {
      userId: null,
      client: who.client,
      data: { client_id: client.id, scope: scopes.join(' '), aud: audience, jti: issued.jti },
    })
    return {
      access_token: issued.token,
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      scope: scopes.join(' '),
    }
  }

  private audienceFor(client: ClientRecord, requested: readonly string[]): string {
    const allowed = words(client.audiences)
    if (requested.length > 1) {
      throw new OAuthTokenError('invalid_target', 400, 'A token names one audience: ask for one.')
    }
    const [asked] = requested
    if (asked === undefined) {
      if (allowed.length > 1) {
        throw new OAuthTokenError(
          'invalid_target',
          400,
          'This client may name several audiences: say which (audience or resource).',
        )
      }
      return allowed[0] ?? this.deps.defaultAudience
    }
    const permitted = allowed.length === 0 ? [this.deps.defaultAudience] : allowed
    if (!permitted.includes(asked)) {
      throw new OAuthTokenError('invalid_target', 400, 'The client may not name that audience.')
    }
    return asked
  }

  private audit(
    type: 'client_created' | 'client_updated' | 'client_secret_rotated' | 'client_deleted',
    client: ClientRecord,
    who: { client: AuditClient; actorId: string | null },
    data: Record<string, unknown> = {},
  ): Promise<void> {
    return this.deps.audit.record(type, {
      userId: null,
      actorId: who.actorId,
      client: who.client,
      data: { client_id: client.id, name: client.name, ...data },
    })
  }
}
