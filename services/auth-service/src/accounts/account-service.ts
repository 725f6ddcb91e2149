import {
  type AccountRules,
  type AuditEventType,
  type AuditTrail,
  amrOfFirstFactor,
  amrWithSecondFactor,
  type FirstFactor,
  nextSignInStep,
  normalizeEmail,
  type SignInStep,
  secondFactorsOf,
  toProfile,
} from '@authpair/accounts'
import type { MfaMethod, Profile, ProviderId, TokenPair } from '@authpair/contracts'
import {
  type AuditClient,
  type Database,
  isSessionLive,
  type NewEmailOutbox,
  newId,
  type SessionRecord,
  UniqueViolationError,
  type UserRecord,
} from '@authpair/db'
import { PasswordHasher } from '@authpair/passwords'
import { HttpProblem } from '@authpair/service-kit'
import type { FastifyBaseLogger } from 'fastify'
import type { AuthConfig } from '../config.js'
import {
  type MailKind,
  type MailVariables,
  pickLocale,
  renderMail,
} from '../mail/mail-templates.js'
import { PROVIDER_NAMES } from '../oauth/providers.js'
import type { AccessTokenIssuer } from '../tokens/access-token-issuer.js'
import { hashOpaqueToken, newOpaqueToken } from '../tokens/opaque-token.js'
import type { SignInThrottle } from './sign-in-throttle.js'

/** Who is asking, as the gateway saw them: recorded on sessions and audit events. */
export type ClientContext = AuditClient

export interface AccountServiceDeps {
  db: Database
  config: AuthConfig
  hasher: PasswordHasher
  accessTokens: AccessTokenIssuer
  /** Failed sign-ins per account (and address). */
  throttle: SignInThrottle
  /** The account rules both services share (making accounts, current-password checks). */
  rules: AccountRules
  auditTrail: AuditTrail
  /** Seals each outbox row's bodies (they carry one-time links): mail/mail-seal.ts. */
  mailSeal: { seal(mail: NewEmailOutbox): NewEmailOutbox }
  now: () => Date
  log: FastifyBaseLogger
}

const INVALID_CREDENTIALS = 'The email or password is not correct.'
const INVALID_REFRESH = 'The refresh token is not valid.'

/** How long an mfa_token works (design.md: 5 minutes; ASVS 5.0 V6.5.5 allows up to 10). */
export const MFA_TOKEN_TTL_SECONDS = 300

/** What an mfa_challenge row remembers of the first factor (its `data`). */
export interface MfaChallengeData {
  /** RFC 8176 values of the first factor: `pwd` or `fed`. */
  amr: string[]
  /** password, or the provider's id: for the audit trail. */
  via: string
}

/**
 * The auth-service's flows over the shared account rules (@authpair/accounts): registration,
 * email verification and claims, sign-in, refresh rotation, sessions, password change and
 * reset, and the mail each sends. Routes only translate HTTP to these calls.
 */
export class AccountService {
  constructor(private readonly deps: AccountServiceDeps) {}

  async register(
    input: {
      email: string
      password: string
      name?: string | undefined
      acceptLanguage?: string | undefined
    },
    client: ClientContext,
  ): Promise<Profile> {
    const user = await this.deps.rules.createUser({
      email: input.email,
      password: input.password,
      name: input.name ?? null,
    })
    await this.audit('user_registered', user.id, client)
    await this.queueVerification(user, input.email, input.acceptLanguage)
    return toProfile(user)
  }

  /** sendVerification, for a flow that must not fail on it: the user can ask again (resend). */
  async queueVerification(
    user: UserRecord,
    address: string,
    acceptLanguage?: string,
  ): Promise<void> {
    try {
      await this.sendVerification(user, address, acceptLanguage)
    } catch (err) {
      this.deps.log.error({ err, userId: user.id }, 'could not queue the verification mail')
    }
  }

  /**
   * Queues a link that proves `address` belongs to the user: the account's own unverified
   * address, or (for an account a provider made without vouching for one) the address it
   * gave. A newer link voids the older.
   */
  async sendVerification(
    user: UserRecord,
    address: string,
    acceptLanguage?: string,
  ): Promise<void> {
    await this.mailOneTimeLink(user, address, acceptLanguage, {
      purpose: 'email_verify',
      kind: 'email_verify',
      ttlSeconds: this.deps.config.EMAIL_VERIFY_TTL_SECONDS,
      path: this.deps.config.EMAIL_VERIFY_PATH,
      data: { email: address },
    })
  }

  /**
   * The work behind POST /auth/password/forgot, run after the 202 has been sent: the answer
   * and its timing are the same whether or not the address has an account.
   */
  async requestPasswordReset(
    email: string,
    acceptLanguage: string | undefined,
    client: ClientContext,
  ): Promise<void> {
    const user = await this.deps.db.users.findByEmail(normalizeEmail(email))
    if (!user?.isActive || user.email === null) {
      await this.audit('password_reset_requested', user?.id ?? null, client, { known: false })
      return
    }
    await this.mailOneTimeLink(user, user.email, acceptLanguage, {
      purpose: 'password_reset',
      kind: 'password_reset',
      ttlSeconds: this.deps.config.PASSWORD_RESET_TTL_SECONDS,
      path: this.deps.config.PASSWORD_RESET_PATH,
    })
    await this.audit('password_reset_requested', user.id, client, { known: true })
  }

  /**
   * Sets a new password with a reset token: every session ends, a notice is mailed. The link
   * came to the account's mailbox, so it proves the address: an account whose address was
   * unverified is claimed by it (claimAccount: whatever its maker linked goes too), and the
   * address counts as verified from now on.
   */
  async resetPassword(
    token: string,
    password: string,
    client: ClientContext,
    acceptLanguage?: string,
  ): Promise<void> {
    const hash = hashOpaqueToken(token)
    const now = this.deps.now()
    const found = await this.deps.db.oneTimeTokens.findActive(hash, 'password_reset', now)
    const user = found ? await this.deps.db.users.findById(found.userId) : undefined
    if (!found || !user?.email) throw this.invalidToken()
    // Rules first, so a rejected password does not spend the link.
    this.deps.rules.assertAcceptablePassword(password, user.email)
    const passwordHash = await this.deps.hasher.hash(password)
    if (!(await this.deps.db.oneTimeTokens.consume(hash, 'password_reset', this.deps.now()))) {
      throw this.invalidToken() // spent by a concurrent request meanwhile
    }
    const claimed = user.emailVerified
      ? undefined
      : await this.claimAccount(user, 'password_reset', client)
    await this.deps.db.users.update(user.id, { passwordHash, emailVerified: true, updatedAt: now })
    const revoked = await this.deps.db.sessions.revokeAllForUser(user.id, {
      now,
      reason: 'password_reset',
    })
    await this.deps.db.emailOutbox.enqueue(
      this.mail('password_changed', user, user.email, acceptLanguage, {}),
    )
    // The link proved the mailbox: a lock on the account's sign-in is for strangers, not them.
    await this.deps.throttle.ownerProven(user.email, client.ip)
    await this.audit('password_reset', user.id, client, {
      sessions_revoked: revoked + (claimed?.sessionsRevoked ?? 0),
      ...(claimed ? { email_verified: true } : {}),
    })
  }

  /**
   * Someone just proved control of the account's address (a provider's verified email, or a
   * reset link) while the account's own address was unverified: whoever made the account never
   * proved it, and may be an attacker who pre-registered the victim's address. So everything
   * that was added before the proof goes: the password (for a provider's proof; a reset sets
   * a new one), every linked identity, every passkey, every outstanding link and login code, every session.
   * The address is then verified, and the owner is told in an audited event and a mail.
   *
   * The order closes the doors before the rooms: credentials first (no new session can start
   * from them), then what they opened (sessions).
   */
  async claimAccount(
    user: UserRecord,
    via: ProviderId | 'password_reset',
    client: ClientContext,
  ): Promise<{ sessionsRevoked: number }> {
    const { db } = this.deps
    const now = this.deps.now()
    const passwordRemoved = via !== 'password_reset' && user.passwordHash !== null
    await db.users.update(user.id, {
      ...(via !== 'password_reset' ? { passwordHash: null } : {}),
      emailVerified: true,
      updatedAt: now,
    })
    const identitiesRemoved = await db.identities.deleteAllForUser(user.id)
    // A passkey added before the proof is a way back in for whoever pre-registered the address.
    const passkeysRemoved = await db.passkeys.deleteAllForUser(user.id)
    await db.oneTimeTokens.voidForUser(
      user.id,
      ['password_reset', 'email_verify', 'oauth_login'],
      now,
    )
    const sessionsRevoked = await db.sessions.revokeAllForUser(user.id, {
      now,
      reason: 'account_claimed',
    })
    await this.audit('account_claimed', user.id, client, {
      via,
      password_removed: passwordRemoved,
      identities_removed: identitiesRemoved,
      // Only when there were any: the event reads as before for accounts without passkeys.
      ...(passkeysRemoved > 0 ? { passkeys_removed: passkeysRemoved } : {}),
      sessions_revoked: sessionsRevoked,
    })
    // A reset mails its own notice; this one says what went when something the owner may not
    // have known about did.
    if (user.email && (passwordRemoved || identitiesRemoved > 0 || passkeysRemoved > 0)) {
      await db.emailOutbox.enqueue(
        this.mail('account_claimed', user, user.email, undefined, {
          provider: via === 'password_reset' ? undefined : PROVIDER_NAMES[via],
        }),
      )
    }
    return { sessionsRevoked }
  }

  async verifyEmail(token: string, client: ClientContext): Promise<void> {
    const record = await this.deps.db.oneTimeTokens.consume(
      hashOpaqueToken(token),
      'email_verify',
      this.deps.now(),
    )
    const user = record ? await this.deps.db.users.findById(record.userId) : undefined
    const email = record?.data ? (JSON.parse(record.data) as { email?: string }).email : undefined
    if (!record || !user || !email) throw this.invalidToken()
    if (user.email === null) {
      // An account a provider made without an address: the link proves the one it was sent to,
      // which becomes the account's unless another account holds it by now (the owner who
      // registered it first wins: a pending address never takes one over).
      try {
        await this.deps.db.users.update(user.id, {
          email,
          emailVerified: true,
          updatedAt: this.deps.now(),
        })
      } catch (error) {
        if (error instanceof UniqueViolationError && error.constraint === 'users_email_key') {
          throw new HttpProblem(
            409,
            'email_taken',
            'This address belongs to another account now: sign in to that one.',
          )
        }
        throw error
      }
      await this.audit('email_verified', user.id, client, { address_added: true })
      return
    }
    // A link for an address the account no longer has proves nothing about the current one.
    if (email !== user.email) throw this.invalidToken()
    await this.deps.db.users.update(user.id, { emailVerified: true, updatedAt: this.deps.now() })
    await this.audit('email_verified', user.id, client)
  }

  /**
   * A new verification link: to the account's unverified address, or, for an account without
   * one, to the address its provider gave. Nothing when the address is already verified.
   */
  async resendVerification(userId: string, acceptLanguage: string | undefined): Promise<void> {
    const user = await this.deps.db.users.findById(userId)
    if (!user || user.emailVerified) return
    const address =
      user.email ?? (await this.deps.db.identities.listForUser(user.id)).find((i) => i.email)?.email
    if (address) await this.sendVerification(user, address, acceptLanguage)
  }

  private invalidToken(): HttpProblem {
    return new HttpProblem(
      400,
      'invalid_token',
      'The link is not valid: it is unknown, expired or used.',
    )
  }

  /**
   * Issues a one-time token (256 bits, stored hashed, voiding the user's older ones of the same
   * purpose) and, in the same transaction, the mail that carries its link.
   */
  private async mailOneTimeLink(
    user: UserRecord,
    address: string,
    acceptLanguage: string | undefined,
    link: {
      purpose: 'email_verify' | 'password_reset'
      kind: MailKind
      ttlSeconds: number
      path: string
      data?: Record<string, unknown>
    },
  ): Promise<void> {
    const now = this.deps.now()
    const token = newOpaqueToken()
    await this.deps.db.oneTimeTokens.issue(
      {
        id: newId(),
        userId: user.id,
        purpose: link.purpose,
        tokenHash: hashOpaqueToken(token),
        createdAt: now,
        expiresAt: new Date(now.getTime() + link.ttlSeconds * 1000),
        ...(link.data ? { data: JSON.stringify(link.data) } : {}),
      },
      this.mail(link.kind, user, address, acceptLanguage, {
        link: this.link(link.path, token),
        minutes: Math.round(link.ttlSeconds / 60),
      }),
    )
  }

  /** A link into the client app: origin from APP_URL, never from the request. */
  private link(path: string, token: string): string {
    const url = new URL(path, `${this.deps.config.APP_URL}/`)
    url.searchParams.set('token', token)
    return url.toString()
  }

  private mail(
    kind: MailKind,
    user: UserRecord,
    to: string,
    acceptLanguage: string | undefined,
    variables: Omit<MailVariables, 'product'>,
  ): NewEmailOutbox {
    const rendered = renderMail(kind, pickLocale(user.locale, acceptLanguage), {
      product: this.deps.config.PRODUCT_NAME,
      ...variables,
    })
    const now = this.deps.now()
    return this.deps.mailSeal.seal({
      id: newId(),
      kind,
      toAddress: to,
      subject: rendered.subject,
      textBody: rendered.text,
      htmlBody: rendered.html,
      createdAt: now,
      nextAttemptAt: now,
    })
  }

  async login(
    input: { email: string; password: string },
    client: ClientContext,
  ): Promise<TokenPair> {
    const email = normalizeEmail(input.email)
    await this.deps.throttle.assertMayTry(email, client.ip)
    const user = await this.deps.db.users.findByEmail(email)
    if (!user?.passwordHash) {
      // Same work and the same answer as a wrong password: no timing or body difference.
      await this.deps.hasher.burn(input.password)
      await this.passwordFailed(email, user, client, 'unknown_email')
      throw new HttpProblem(401, 'invalid_credentials', INVALID_CREDENTIALS)
    }
    const { valid, needsRehash } = await this.deps.hasher.verify(user.passwordHash, input.password)
    if (!valid) {
      await this.passwordFailed(email, user, client, 'wrong_password')
      throw new HttpProblem(401, 'invalid_credentials', INVALID_CREDENTIALS)
    }
    if (needsRehash && user.isActive) await this.upgradeHash(user, input.password, client)
    const pair = await this.completeSignIn(user, client, { kind: 'password' })
    // Only a sign-in that is complete clears this address's count: the right password of an
    // account with a second factor (403 mfa_required) must not wipe the wrong codes counted
    // before it, or password, code, password, code… would guess codes without a limit here.
    await this.deps.throttle.succeeded(email, client.ip)
    return pair
  }

  /** Counts a failed sign-in; the owner is mailed when it starts the account's lock. */
  private async passwordFailed(
    email: string,
    user: UserRecord | undefined,
    client: ClientContext,
    reason: 'unknown_email' | 'wrong_password',
  ): Promise<void> {
    const { accountLocked } = await this.deps.throttle.failed(email, client.ip)
    await this.audit('login_failed', user?.id ?? null, client, { reason })
    if (accountLocked && user) await this.signInLocked(user, client)
  }

  /**
   * A wrong second factor (MfaService.verify): counted against the account's sign-in limits
   * like a wrong password (`throttleKey` is the account's address, or its id without one), so
   * the codes cannot be guessed faster than passwords; the owner is mailed when it starts the
   * account's lock.
   */
  async secondFactorFailed(
    user: UserRecord,
    throttleKey: string,
    client: ClientContext,
    data: { method: MfaMethod; failures: number },
  ): Promise<void> {
    const { accountLocked } = await this.deps.throttle.failed(throttleKey, client.ip)
    await this.audit('mfa_failed', user.id, client, data)
    if (accountLocked) await this.signInLocked(user, client)
  }

  private async signInLocked(user: UserRecord, client: ClientContext): Promise<void> {
    if (!user.email) return
    await this.audit('sign_in_locked', user.id, client, {
      minutes: this.deps.throttle.lockMinutes,
    })
    await this.deps.db.emailOutbox.enqueue(
      this.mail('sign_in_locked', user, user.email, undefined, {
        minutes: this.deps.throttle.lockMinutes,
      }),
    )
  }

  /**
   * What this sign-in needs after its first factor, by the account rules (nextSignInStep):
   * the callback asks early, so a refused provider sign-in never gets a login code.
   */
  async signInStep(user: UserRecord, factor: FirstFactor): Promise<SignInStep> {
    return nextSignInStep(
      user,
      factor,
      { requireEmailVerification: this.deps.config.REQUIRE_EMAIL_VERIFICATION },
      await secondFactorsOf(this.deps.db, user.id),
    )
  }

  /**
   * The last step of every sign-in, after the first factor (a password, a provider): the
   * account rules decide (signInStep), then a session starts. Audited either way. When the
   * account has a second factor, the answer is 403 `mfa_required` with a single-use
   * `mfa_token` bound to the user and this first factor, which POST /auth/mfa/verify finishes
   * (MfaService, then completeSecondFactor): once here for every way of signing in.
   */
  async completeSignIn(
    user: UserRecord,
    client: ClientContext,
    factor: FirstFactor,
  ): Promise<TokenPair> {
    const via = factor.kind === 'provider' ? factor.provider : factor.kind
    const step = await this.signInStep(user, factor)
    if (step.kind === 'refused') {
      await this.audit('login_failed', user.id, client, { reason: step.problem.code, via })
      throw step.problem
    }
    if (step.kind === 'second_factor') {
      const mfaToken = await this.issueMfaChallenge(user, { amr: amrOfFirstFactor(factor), via })
      await this.audit('mfa_challenge_issued', user.id, client, { via })
      throw new HttpProblem(
        403,
        'mfa_required',
        'Finish signing in with your second factor (POST /auth/mfa/verify).',
        { members: { mfa_token: mfaToken, methods: step.methods } },
      )
    }
    const pair = await this.startSession(user, client, amrOfFirstFactor(factor))
    await this.deps.db.users.recordSignIn(user.id, this.deps.now())
    await this.audit('login_succeeded', user.id, client, via === 'password' ? undefined : { via })
    return pair
  }

  /**
   * The mfa_token: 256 bits, stored hashed, single use, MFA_TOKEN_TTL_SECONDS, bound to the
   * user (its row) and the first factor (its data). A newer one voids the user's older ones.
   */
  private async issueMfaChallenge(user: UserRecord, data: MfaChallengeData): Promise<string> {
    const token = newOpaqueToken()
    const now = this.deps.now()
    await this.deps.db.oneTimeTokens.issue({
      id: newId(),
      userId: user.id,
      purpose: 'mfa_challenge',
      tokenHash: hashOpaqueToken(token),
      createdAt: now,
      expiresAt: new Date(now.getTime() + MFA_TOKEN_TTL_SECONDS * 1000),
      data: JSON.stringify(data),
    })
    return token
  }

  /**
   * The end of a sign-in whose second factor was just accepted (MfaService.verify): the
   * account rules are asked again (the account may have been disabled in the minutes since
   * the first factor), then a session starts whose tokens say `otp` and `mfa` in `amr`.
   */
  async completeSecondFactor(
    user: UserRecord,
    client: ClientContext,
    first: MfaChallengeData,
    method: MfaMethod,
  ): Promise<TokenPair> {
    // The second factor was just used: only the account's own refusals are left to ask, so
    // the factors are not read again (one query less on the answer the timing test compares).
    const step = nextSignInStep(
      user,
      { kind: 'password' },
      { requireEmailVerification: this.deps.config.REQUIRE_EMAIL_VERIFICATION },
      { totp: false, passkeys: 0 },
    )
    if (step.kind === 'refused') {
      await this.audit('login_failed', user.id, client, {
        reason: step.problem.code,
        via: first.via,
        mfa: method,
      })
      throw step.problem
    }
    const pair = await this.startSession(user, client, amrWithSecondFactor(first.amr))
    await this.deps.db.users.recordSignIn(user.id, this.deps.now())
    await this.audit('login_succeeded', user.id, client, { via: first.via, mfa: method })
    return pair
  }

  /**
   * A session for a user who has just proven who they are (completeSignIn decided); `amr`
   * (RFC 8176) says how, and every access token of the session carries it.
   */
  async startSession(
    user: UserRecord,
    client: ClientContext,
    amr: readonly string[],
  ): Promise<TokenPair> {
    const now = this.deps.now()
    const { config } = this.deps
    const refreshToken = newOpaqueToken()
    const expiresAt = new Date(now.getTime() + config.SESSION_ABSOLUTE_TTL_SECONDS * 1000)
    const refreshExpiresAt = new Date(now.getTime() + config.REFRESH_TOKEN_IDLE_TTL_SECONDS * 1000)
    const session = await this.deps.db.sessions.create(
      {
        id: newId(),
        userId: user.id,
        createdAt: now,
        lastUsedAt: now,
        expiresAt,
        userAgent: client.userAgent?.slice(0, 512) ?? null,
        ip: client.ip,
        amr: amr.join(' '),
      },
      {
        id: newId(),
        tokenHash: hashOpaqueToken(refreshToken),
        createdAt: now,
        expiresAt: refreshExpiresAt,
      },
    )
    return this.pair(user, session, refreshToken, refreshExpiresAt)
  }

  async refresh(presented: string, client: ClientContext): Promise<TokenPair> {
    const now = this.deps.now()
    const next = newOpaqueToken()
    const outcome = await this.deps.db.sessions.rotate({
      presentedHash: hashOpaqueToken(presented),
      next: {
        id: newId(),
        tokenHash: hashOpaqueToken(next),
        createdAt: now,
        expiresAt: new Date(now.getTime() + this.deps.config.REFRESH_TOKEN_IDLE_TTL_SECONDS * 1000),
      },
      now,
      reuseLeewayMs: this.deps.config.REFRESH_REUSE_LEEWAY_SECONDS * 1000,
    })
    if (outcome.kind === 'reused') {
      this.deps.log.warn({ sessionId: outcome.session.id }, 'refresh token reuse: session revoked')
      await this.audit('refresh_token_reused', outcome.session.userId, client, {
        session_id: outcome.session.id,
      })
      throw new HttpProblem(401, 'invalid_refresh_token', INVALID_REFRESH)
    }
    if (outcome.kind === 'invalid') {
      throw new HttpProblem(401, 'invalid_refresh_token', INVALID_REFRESH)
    }
    const user = outcome.user ?? (await this.deps.db.users.findById(outcome.session.userId))
    if (!user?.isActive) {
      await this.deps.db.sessions.revoke(outcome.session.id, { now, reason: 'account_disabled' })
      throw new HttpProblem(401, 'invalid_refresh_token', INVALID_REFRESH)
    }
    return this.pair(user, outcome.session, next, outcome.expiresAt)
  }

  /** Ends the session a refresh token belongs to. Idempotent: unknown tokens are fine. */
  async logout(presented: string, client: ClientContext): Promise<void> {
    const now = this.deps.now()
    const session = await this.deps.db.sessions.revokeByRefreshToken(hashOpaqueToken(presented), {
      now,
      reason: 'logout',
    })
    if (session && session.revokedAt?.getTime() === now.getTime()) {
      await this.audit('session_revoked', session.userId, client, {
        session_id: session.id,
        reason: 'logout',
      })
    }
  }

  async logoutAll(userId: string, client: ClientContext): Promise<number> {
    const count = await this.deps.db.sessions.revokeAllForUser(userId, {
      now: this.deps.now(),
      reason: 'logout_all',
    })
    await this.audit('sessions_revoked', userId, client, { reason: 'logout_all', count })
    return count
  }

  listSessions(userId: string): Promise<SessionRecord[]> {
    return this.deps.db.sessions.listActive(userId, this.deps.now())
  }

  /** Revokes one of the user's own sessions; 404 for anyone else's (not 403: no oracle). */
  async revokeSession(userId: string, sessionId: string, client: ClientContext): Promise<void> {
    const session = await this.deps.db.sessions.findById(sessionId)
    if (!session || session.userId !== userId) {
      throw new HttpProblem(404, 'not_found', 'No such session.')
    }
    const revoked = await this.deps.db.sessions.revoke(sessionId, {
      now: this.deps.now(),
      reason: 'user_revoked',
    })
    if (revoked) {
      await this.audit('session_revoked', userId, client, {
        session_id: sessionId,
        reason: 'user_revoked',
      })
    }
  }

  /**
   * An admin ends one session of a user (DELETE /admin/auth/users/:id/sessions/:sessionId):
   * 404 unless it is that user's and still live. Through the same repository path as every
   * other ending, so the revocation feed gets its row; audited with the admin as actor.
   */
  async revokeSessionByAdmin(
    userId: string,
    sessionId: string,
    actorId: string,
    client: ClientContext,
  ): Promise<void> {
    const now = this.deps.now()
    const session = await this.deps.db.sessions.findById(sessionId)
    const live = session?.userId === userId && isSessionLive(session, now)
    // A revocation that lost a race to another ending finds nothing live either: 404 too.
    if (!live || !(await this.deps.db.sessions.revoke(sessionId, { now, reason: 'admin' }))) {
      throw new HttpProblem(404, 'not_found', 'No such live session for this user.')
    }
    await this.deps.auditTrail.record('session_revoked', {
      userId,
      actorId,
      client,
      data: { session_id: sessionId, reason: 'admin' },
    })
  }

  /** Changes the password and revokes every other session (the current one stays). */
  async changePassword(
    userId: string,
    currentSessionId: string,
    input: { currentPassword: string; newPassword: string },
    client: ClientContext,
    acceptLanguage?: string,
  ): Promise<void> {
    const user = await this.deps.db.users.findById(userId)
    if (!user) throw new HttpProblem(401, 'invalid_token', 'The access token is not valid.')
    if (!(await this.deps.rules.confirmCurrentPassword(user, input.currentPassword))) {
      await this.audit('password_change_failed', user.id, client)
      throw new HttpProblem(401, 'invalid_credentials', 'The current password is not correct.')
    }
    this.deps.rules.assertAcceptablePassword(input.newPassword, user.email, 'new_password')
    const now = this.deps.now()
    await this.deps.db.users.update(user.id, {
      passwordHash: await this.deps.hasher.hash(input.newPassword),
      updatedAt: now,
    })
    // A reset link mailed before the change must not undo it.
    await this.deps.db.oneTimeTokens.voidForUser(user.id, ['password_reset'], now)
    const revoked = await this.deps.db.sessions.revokeAllForUser(user.id, {
      now,
      reason: 'password_change',
      exceptSessionId: currentSessionId,
    })
    if (user.email) {
      await this.deps.db.emailOutbox.enqueue(
        this.mail('password_changed', user, user.email, acceptLanguage, {}),
      )
    }
    await this.audit('password_changed', user.id, client, { sessions_revoked: revoked })
  }

  /**
   * Replaces a hash made with older parameters, or imported from Django (a format we only
   * verify), by argon2id at the current parameters: audited with what it was, never the hash.
   */
  private async upgradeHash(
    user: UserRecord,
    password: string,
    client: ClientContext,
  ): Promise<void> {
    try {
      const from = user.passwordHash ? PasswordHasher.schemeOf(user.passwordHash) : 'none'
      await this.deps.db.users.update(user.id, {
        passwordHash: await this.deps.hasher.hash(password),
        updatedAt: this.deps.now(),
      })
      await this.audit('password_hash_upgraded', user.id, client, { from, to: 'argon2id' })
      this.deps.log.info({ userId: user.id, from }, 'password hash upgraded to argon2id')
    } catch (err) {
      // The login itself succeeded; the upgrade is retried at the next one.
      this.deps.log.warn({ err, userId: user.id }, 'could not upgrade a password hash')
    }
  }

  private async pair(
    user: Pick<UserRecord, 'id' | 'role'>,
    session: SessionRecord,
    refreshToken: string,
    refreshExpiresAt: Date,
  ): Promise<TokenPair> {
    const access = await this.deps.accessTokens.issue({
      userId: user.id,
      sessionId: session.id,
      role: user.role,
      // Sessions from before amr was recorded have none; their tokens name none.
      amr: session.amr ? session.amr.split(' ') : [],
    })
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      refresh_token: refreshToken,
      refresh_expires_in: Math.max(
        0,
        Math.floor((refreshExpiresAt.getTime() - this.deps.now().getTime()) / 1000),
      ),
    }
  }

  /**
   * Queues a notice to the account's address (none for an account without one): a change to
   * its factors, a recovery code used. In the user's language, else the request's.
   */
  async notify(
    kind: MailKind,
    user: UserRecord,
    variables: Omit<MailVariables, 'product'> = {},
    acceptLanguage?: string,
  ): Promise<void> {
    if (!user.email) return
    await this.deps.db.emailOutbox.enqueue(
      this.mail(kind, user, user.email, acceptLanguage, variables),
    )
  }

  /** Records an audit event (the account rules' trail: typed, never failing the request). */
  audit(
    type: AuditEventType,
    userId: string | null,
    client: ClientContext,
    data?: Record<string, unknown>,
  ): Promise<void> {
    return this.deps.auditTrail.record(type, { userId, client, data })
  }
}
