/**
 * Real credentials for the fuzz test, minted without argon2 and without HTTP: users straight
 * through the repository (all sharing one password hash computed once), sessions through the
 * auth-service's own `accounts.startSession`, one-time tokens (reset, verification, OAuth login
 * codes, mfa_tokens) through the one_time_tokens repository exactly as the services issue them.
 *
 * Each route gets a fresh subject (a user with a live session, admin on /admin routes); before
 * every input the subject is checked and replaced when an earlier input ended it: logged out,
 * session revoked, user deleted, deactivated, demoted, password changed or reset. A route for
 * internal services (an OAuth 2 client-credentials requirement in its OpenAPI description) is
 * called with a client token carrying the scopes it lists, signed as the token endpoint does.
 */
import { createHash, randomBytes } from 'node:crypto'
import { newId, type UserRecord } from '@authpair/db'
import fc from 'fast-check'
import { PASSWORD, type Pair } from '../helper.js'

export type Purpose = 'password_reset' | 'email_verify' | 'oauth_login' | 'mfa_challenge'

/** What a Real stands for; `pick` chooses among several candidates (spent tokens, cursors). */
export type RealKind =
  | 'email:subject'
  | 'email:subject-spelled'
  | 'email:fresh'
  | 'email:victim'
  | 'email:subject-prefix'
  | 'password'
  | 'refresh:fresh'
  | 'refresh:subject'
  | 'refresh:spent'
  | `one-time:${Purpose}`
  | 'one-time:spent'
  | 'session-id:new'
  | 'session-id:current'
  | 'session-id:other'
  | 'user-id:victim'
  | 'user-id:self'
  | 'user-id:unknown'
  | 'client-id:new'
  | 'passkey-id:own'
  | 'passkey-id:other'
  | 'cursor'

/**
 * A stand-in, inside a generated input, for a real value that only exists once minted: the
 * arbitrary stays pure and replayable, and the value is made just before the input is sent.
 */
export class Real {
  constructor(
    readonly kind: RealKind,
    readonly pick = 0,
  ) {}
  [fc.toStringMethod](): string {
    return `Real(${this.kind})`
  }
}

export const real = (kind: RealKind) => fc.nat().map((pick) => new Real(kind, pick))

/**
 * How an input authenticates: the subject's live token (a client's on a client route), or a way
 * of not having one. `other-kind` is a genuine token of the other kind: a client's on a user's
 * route, the subject's user token on a client route.
 */
export type AuthChoice =
  | 'live'
  | 'none'
  | 'revoked'
  | 'other-role'
  | 'other-kind'
  | 'tampered'
  | { header: string }

interface Subject {
  user: UserRecord
  sessionId: string
  accessToken: string
  refreshToken: string
  /** When the access token expires, ms (its `exp`). */
  expiresAt: number
}

const CLIENT = { ip: '127.0.0.1', userAgent: 'fuzz', requestId: 'fuzz' }
/** As the services store an opaque token: SHA-256, base64url (auth-service opaque-token.ts). */
const hashOpaque = (token: string) => createHash('sha256').update(token, 'utf8').digest('base64url')
/** Every scope a client could hold today: what an `other-kind` client token carries. */
const ALL_SCOPES = 'users:read'
const claimsOf = (accessToken: string): { sid: string; exp: number } =>
  JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8'))

export class FuzzCredentials {
  private subject: Subject | undefined
  private role: 'user' | 'admin' = 'user'
  private otherRole: Subject | undefined
  /** The scopes of the current route's client-credentials requirement; undefined on user routes. */
  private clientScopes: readonly string[] | undefined
  private client: { token: string; expiresAt: number } | undefined
  private victim: UserRecord | undefined
  private readonly spentRefresh: string[] = []
  private readonly spentOneTime: string[] = []
  private readonly cursors: string[] = []
  /** Subjects minted for the current route after its first: how often inputs ended one. */
  renewals = 0

  private constructor(
    private readonly pair: Pair,
    private readonly passwordHash: string,
  ) {}

  /** The one argon2 computation of the whole run. */
  static async create(pair: Pair): Promise<FuzzCredentials> {
    return new FuzzCredentials(pair, await pair.auth.passwordHasher.hash(PASSWORD))
  }

  private get db() {
    return this.pair.auth.db
  }

  /** A fresh subject (and fresh victims) for the next route. */
  async startRoute(route: { path: string; clientScopes?: readonly string[] | undefined }) {
    this.role = route.path.startsWith('/admin') ? 'admin' : 'user'
    this.clientScopes = route.clientScopes
    this.client = undefined
    this.subject = await this.mintSubject(this.role)
    this.otherRole = undefined
    this.victim = undefined
    this.renewals = 0
  }

  /**
   * Before each input: the route's subject, replaced when an earlier input ended it, so that
   * an input meant to be authorized is (two primary-key reads; no argon2, no HTTP).
   */
  async prepare(): Promise<void> {
    if (!this.subject || !(await this.isLive(this.subject))) {
      this.subject = await this.mintSubject(this.role)
      this.renewals++
    }
  }

  private current(): Subject {
    if (!this.subject) throw new Error('prepare() first')
    return this.subject
  }

  /** An input with the live token was refused 401 before its handler: mint anew next time. */
  forgetSubject(): void {
    this.subject = undefined
  }

  async authorization(choice: AuthChoice): Promise<string | undefined> {
    if (choice === 'none') return undefined
    if (typeof choice === 'object') return choice.header
    const subject = this.current()
    switch (choice) {
      case 'live':
        return `Bearer ${await this.liveToken()}`
      case 'other-kind':
        return this.clientScopes
          ? `Bearer ${subject.accessToken}`
          : `Bearer ${await this.pair.clientToken({ scope: ALL_SCOPES })}`
      case 'tampered': {
        const token = await this.liveToken()
        const last = token.at(-2) === 'A' ? 'B' : 'A'
        return `Bearer ${token.slice(0, -2)}${last}${token.at(-1)}`
      }
      case 'revoked': {
        const session = await this.mintSession(subject.user)
        await this.db.sessions.revoke(session.sessionId, { now: new Date(), reason: 'fuzz' })
        return `Bearer ${session.accessToken}`
      }
      case 'other-role': {
        this.otherRole ??= await this.mintSubject(this.role === 'admin' ? 'user' : 'admin')
        return `Bearer ${this.otherRole.accessToken}`
      }
    }
  }

  /** The live token of the route: the subject's, or on a client route a client's (renewed). */
  private async liveToken(): Promise<string> {
    if (!this.clientScopes) return this.current().accessToken
    // A long run outlives an access token: renew a minute before it expires, as for subjects.
    if (!this.client || this.client.expiresAt - Date.now() < 60_000) {
      const token = await this.pair.clientToken({ scope: this.clientScopes.join(' ') })
      this.client = { token, expiresAt: claimsOf(token).exp * 1000 }
    }
    return this.client.token
  }

  /** The value a Real stands for (anything else is returned as it is). */
  async resolve(value: unknown): Promise<unknown> {
    if (!(value instanceof Real)) return value
    const subject = this.current()
    // Subjects are made with an address; a null one would be a bug of this file.
    const address = subject.user.email ?? ''
    const [kind, variant] = value.kind.split(':') as [string, string | undefined]
    switch (value.kind) {
      case 'email:subject':
        return address
      case 'email:subject-spelled':
        return `  ${address.toUpperCase()} `
      case 'email:fresh':
        return `fuzz-new-${newId()}@example.com`
      case 'email:victim':
        return (await this.liveVictim()).email
      case 'email:subject-prefix':
        return address.slice(0, 1 + (value.pick % address.length))
      case 'password':
        return PASSWORD
      case 'refresh:fresh':
        return this.spend((await this.mintSession(subject.user)).refreshToken)
      case 'refresh:subject':
        return this.spend(subject.refreshToken)
      case 'refresh:spent':
        return (
          this.spentRefresh[value.pick % Math.max(1, this.spentRefresh.length)] ??
          this.spend((await this.mintSession(subject.user)).refreshToken)
        )
      case 'one-time:spent':
        return this.spentOneTime[value.pick % Math.max(1, this.spentOneTime.length)] ?? 'spent'
      case 'session-id:new':
        return (await this.mintSession(subject.user)).sessionId
      case 'session-id:current':
        return subject.sessionId
      case 'session-id:other':
        return (await this.mintSession(await this.liveVictim())).sessionId
      case 'user-id:victim':
        return (await this.liveVictim()).id
      case 'user-id:self':
        return subject.user.id
      case 'user-id:unknown':
        return newId()
      case 'client-id:new':
        return (
          await this.pair.auth.clients.create(
            { name: 'fuzzed', scopes: ['users:read'], audiences: [] },
            { client: { ip: '127.0.0.1', userAgent: 'fuzz', requestId: 'fuzz' }, actorId: null },
          )
        ).client.id
      case 'passkey-id:own':
        return this.mintPasskey(subject.user.id)
      case 'passkey-id:other':
        return this.mintPasskey((await this.liveVictim()).id)
      case 'cursor':
        return this.cursors[value.pick % Math.max(1, this.cursors.length)]
    }
    if (kind === 'one-time' && variant) return this.issueOneTime(subject.user, variant as Purpose)
    throw new Error(`no way to mint ${value.kind}`)
  }

  /** Harvests what responses hand out for later inputs to present (pagination cursors). */
  observe(body: unknown): void {
    const cursor = (body as { next_cursor?: unknown } | null)?.next_cursor
    if (typeof cursor === 'string' && !this.cursors.includes(cursor)) {
      this.cursors.push(cursor)
      if (this.cursors.length > 50) this.cursors.shift()
    }
  }

  private spend(refreshToken: string): string {
    this.spentRefresh.push(refreshToken)
    if (this.spentRefresh.length > 50) this.spentRefresh.shift()
    return refreshToken
  }

  /**
   * A stored passkey of the user (as registration would leave it; no authenticator holds its
   * key, and the fuzzer never signs in with it): real ids for /auth/passkeys/{id}, and with a
   * second one the user's last-way-to-sign-in rule stays out of the answer's way.
   */
  private async mintPasskey(userId: string): Promise<string> {
    const id = newId()
    await this.db.passkeys.create({
      id,
      userId,
      credentialId: randomBytes(16).toString('base64url'),
      publicKey: randomBytes(77).toString('base64url'),
      signCount: 0,
      transports: 'internal',
      backupEligible: false,
      backedUp: false,
      name: 'fuzzed',
      createdAt: new Date(),
    })
    return id
  }

  private async issueOneTime(user: UserRecord, purpose: Purpose): Promise<string> {
    const token = randomBytes(32).toString('base64url')
    const now = new Date()
    await this.db.oneTimeTokens.issue({
      id: newId(),
      userId: user.id,
      purpose,
      tokenHash: hashOpaque(token),
      createdAt: now,
      expiresAt: new Date(now.getTime() + 600_000),
      data:
        purpose === 'email_verify'
          ? JSON.stringify({ email: user.email })
          : purpose === 'oauth_login'
            ? JSON.stringify({ provider: 'github' })
            : purpose === 'mfa_challenge'
              ? JSON.stringify({ amr: ['pwd'], via: 'password' })
              : null,
    })
    this.spentOneTime.push(token)
    if (this.spentOneTime.length > 50) this.spentOneTime.shift()
    return token
  }

  private async isLive(subject: Subject): Promise<boolean> {
    // A long run outlives an access token (15 minutes by default): renew a minute before.
    if (subject.expiresAt - Date.now() < 60_000) return false
    const [user, session] = await Promise.all([
      this.db.users.findById(subject.user.id),
      this.db.sessions.findById(subject.sessionId),
    ])
    return Boolean(
      user?.isActive &&
        user.role === subject.user.role &&
        user.passwordHash === this.passwordHash &&
        session &&
        session.revokedAt === null &&
        session.expiresAt.getTime() > Date.now(),
    )
  }

  private async liveVictim(): Promise<UserRecord> {
    if (!this.victim || !(await this.db.users.findById(this.victim.id))) {
      this.victim = await this.mintUser('user', 'victim')
    }
    return this.victim
  }

  private async mintUser(role: 'user' | 'admin', label: string): Promise<UserRecord> {
    const now = new Date()
    const user = await this.db.users.create({
      id: newId(),
      email: `fuzz-${label}-${newId()}@example.com`,
      role,
      passwordHash: this.passwordHash,
      createdAt: now,
      updatedAt: now,
    })
    // A linked provider, so unlinking (DELETE /auth/identities/:provider) has one to unlink.
    await this.db.identities.create({
      id: newId(),
      userId: user.id,
      provider: 'github',
      providerUserId: newId(),
      email: user.email,
      createdAt: now,
    })
    return user
  }

  private async mintSubject(role: 'user' | 'admin'): Promise<Subject> {
    const user = await this.mintUser(role, role)
    return { user, ...(await this.mintSession(user)) }
  }

  private async mintSession(user: UserRecord) {
    const pair = await this.pair.auth.accounts.startSession(user, CLIENT, ['pwd'])
    const claims = claimsOf(pair.access_token)
    return {
      sessionId: claims.sid,
      accessToken: pair.access_token,
      refreshToken: pair.refresh_token,
      expiresAt: claims.exp * 1000,
    }
  }
}
