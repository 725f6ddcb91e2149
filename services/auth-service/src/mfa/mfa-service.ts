import { type AuditTrail, isRecentSignIn } from '@authpair/accounts'
import type { MfaMethod, MfaStatus, RecoveryCodes, TokenPair, TotpSetup } from '@authpair/contracts'
import { type Database, newId, type UserRecord } from '@authpair/db'
import { HttpProblem } from '@authpair/service-kit'
import type {
  AccountService,
  ClientContext,
  MfaChallengeData,
} from '../accounts/account-service.js'
import type { SignInThrottle } from '../accounts/sign-in-throttle.js'
import type { AuthConfig } from '../config.js'
import { hashOpaqueToken } from '../tokens/opaque-token.js'
import {
  hashRecoveryCode,
  newRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
} from './recovery-codes.js'
import { base32Of, matchingTimeStep, newTotpSecret, otpauthUri, qrSvg } from './totp.js'
import type { TotpSecretSeal } from './totp-secret-seal.js'

/** Wrong codes an mfa_token survives: the fifth spends it (design.md). */
export const MFA_MAX_FAILURES = 5

export interface MfaServiceDeps {
  db: Database
  config: AuthConfig
  accounts: AccountService
  auditTrail: AuditTrail
  /** The per-account sign-in limits: second-factor failures count with wrong passwords. */
  throttle: SignInThrottle
  /** Seals TOTP secrets with the key-encryption key, like the signing keys. */
  secretSeal: TotpSecretSeal
  now: () => Date
}

/**
 * The second factor: enrolment of an authenticator app (RFC 6238 TOTP), recovery codes, the
 * mfa_token step of a sign-in (POST /auth/mfa/verify), and an admin's removal. Routes and the
 * CLI translate to these calls; when a sign-in needs the step is the account rules' call
 * (nextSignInStep), made in AccountService.completeSignIn.
 */
export class MfaService {
  constructor(private readonly deps: MfaServiceDeps) {}

  async status(userId: string): Promise<MfaStatus> {
    const totp = await this.deps.db.secondFactors.findTotp(userId)
    return {
      totp: totp?.confirmedAt != null,
      passkeys: await this.deps.db.passkeys.countForUser(userId),
      recovery_codes_left: await this.deps.db.secondFactors.countUnusedRecoveryCodes(userId),
    }
  }

  /**
   * Starts (or restarts) an enrolment: a new secret, sealed at rest, that signs nobody in
   * until confirm() proves the app has it. 409 while an authenticator is on.
   */
  async setup(userId: string, sessionId: string): Promise<TotpSetup> {
    await this.assertRecentSignIn(sessionId)
    const user = await this.account(userId)
    const secret = newTotpSecret()
    const begun = await this.deps.db.secondFactors.beginTotp({
      userId,
      secretEnc: this.seal(userId, secret),
      createdAt: this.deps.now(),
    })
    if (!begun) throw alreadyEnabled()
    const uri = otpauthUri(secret, this.deps.config.PRODUCT_NAME, user.email ?? user.id)
    return { secret: base32Of(secret), otpauth_uri: uri, qr_svg: await qrSvg(uri) }
  }

  /**
   * Turns the authenticator on once a code from it is right, and answers the first set of
   * recovery codes (shown this once). The confirming code's time step is recorded as used.
   */
  async confirm(
    userId: string,
    sessionId: string,
    code: string,
    client: ClientContext,
    acceptLanguage?: string,
  ): Promise<RecoveryCodes> {
    await this.assertRecentSignIn(sessionId)
    const user = await this.account(userId)
    const factor = await this.deps.db.secondFactors.findTotp(userId)
    if (factor?.confirmedAt) throw alreadyEnabled()
    if (!factor)
      throw notEnabled('No authenticator is being set up: start with /auth/mfa/totp/setup.')
    const step = matchingTimeStep(this.open(userId, factor.secretEnc), code, this.deps.now())
    if (step === undefined) {
      // 400, not 401: the caller's token is fine; the code in the body is not.
      throw new HttpProblem(400, 'invalid_mfa_code', 'The code is not right: try the current one.')
    }
    const { codes, rows } = this.newRecoveryCodes(userId)
    const confirmed = await this.deps.db.secondFactors.confirmTotp(
      userId,
      { at: this.deps.now(), step },
      rows,
    )
    if (!confirmed) throw alreadyEnabled() // confirmed by a concurrent request meanwhile
    await this.deps.accounts.audit('mfa_enabled', userId, client, { method: 'totp' })
    await this.deps.accounts.notify('mfa_enabled', user, {}, acceptLanguage)
    return { recovery_codes: codes }
  }

  /** Removes the authenticator and its recovery codes. 409 when none is on. */
  async removeTotp(
    userId: string,
    sessionId: string,
    client: ClientContext,
    acceptLanguage?: string,
  ): Promise<void> {
    await this.assertRecentSignIn(sessionId)
    const user = await this.account(userId)
    const removed = await this.deps.db.secondFactors.removeAll(userId)
    if (!removed.totp) throw notEnabled('No authenticator is on.')
    await this.deps.accounts.audit('mfa_removed', userId, client, { method: 'totp' })
    await this.deps.accounts.notify('mfa_removed', user, { byAdmin: false }, acceptLanguage)
  }

  /** A new set of recovery codes; the old set stops working. 409 without an authenticator. */
  async regenerateRecoveryCodes(
    userId: string,
    sessionId: string,
    client: ClientContext,
    acceptLanguage?: string,
  ): Promise<RecoveryCodes> {
    await this.assertRecentSignIn(sessionId)
    const user = await this.account(userId)
    const { codes, rows } = this.newRecoveryCodes(userId)
    if (!(await this.deps.db.secondFactors.replaceRecoveryCodes(userId, rows))) {
      throw notEnabled('Recovery codes come with an authenticator: set one up first.')
    }
    await this.deps.accounts.audit('recovery_codes_regenerated', userId, client)
    await this.deps.accounts.notify('recovery_codes_regenerated', user, {}, acceptLanguage)
    return { recovery_codes: codes }
  }

  /**
   * An admin removes a user's authenticator app and recovery codes (a lost phone, no recovery
   * code left): audited with the admin as actor, and the user is mailed. Passkeys stay (they
   * are sign-in methods too: PasskeyService.removeByAdmin takes them one at a time), and so do
   * sessions. 404 for an unknown user, 409 when neither is there.
   */
  async removeByAdmin(userId: string, actorId: string | null, client: ClientContext) {
    const user = await this.deps.db.users.findById(userId)
    if (!user) throw new HttpProblem(404, 'not_found', 'No such user.')
    const removed = await this.deps.db.secondFactors.removeAll(userId)
    if (!removed.totp && removed.recoveryCodes === 0) {
      throw notEnabled('This user has no second factor.')
    }
    await this.deps.auditTrail.record('mfa_removed', {
      userId,
      actorId,
      client,
      data: { method: 'totp', by: 'admin' },
    })
    await this.deps.accounts.notify('mfa_removed', user, { byAdmin: true })
  }

  /**
   * POST /auth/mfa/verify: finishes a sign-in that answered mfa_required. The mfa_token must be
   * active (unused, under 5 minutes, fewer than MFA_MAX_FAILURES wrong codes) and the code the
   * token's own user's: a TOTP code of the current step or one either side, never of a step
   * already used (a replay), or an unused recovery code. A wrong code counts against the token
   * and, like a wrong password, against the account's sign-in limits; the right one spends the
   * token and starts a session with `otp` and `mfa` in amr.
   */
  async verify(
    input: { mfaToken: string; method: MfaMethod; code: string },
    client: ClientContext,
  ): Promise<TokenPair> {
    const { db } = this.deps
    const hash = hashOpaqueToken(input.mfaToken)
    const now = this.deps.now()
    const challenge = await db.oneTimeTokens.findActive(hash, 'mfa_challenge', now)
    const user = challenge ? await db.users.findById(challenge.userId) : undefined
    if (!challenge || !user) throw invalidMfaToken()
    const throttleKey = throttleIdentity(user)
    // A locked account is a 429 before any code is looked at, and costs the token nothing.
    await this.deps.throttle.assertMayTry(throttleKey, client.ip)
    const accepted =
      input.method === 'totp'
        ? await this.acceptTotp(user.id, input.code, now)
        : await this.acceptRecoveryCode(user.id, input.code, now)
    if (!accepted) {
      const failures = await db.oneTimeTokens.recordFailure(
        hash,
        'mfa_challenge',
        now,
        MFA_MAX_FAILURES,
      )
      await this.deps.accounts.secondFactorFailed(user, throttleKey, client, {
        method: input.method,
        failures: failures ?? MFA_MAX_FAILURES,
      })
      throw new HttpProblem(401, 'invalid_mfa_code', 'The code is not right.')
    }
    if (!(await db.oneTimeTokens.consume(hash, 'mfa_challenge', now))) throw invalidMfaToken()
    await this.deps.throttle.succeeded(throttleKey, client.ip)
    if (input.method === 'recovery_code') {
      const left = await db.secondFactors.countUnusedRecoveryCodes(user.id)
      await this.deps.accounts.audit('recovery_code_used', user.id, client, { left })
      await this.deps.accounts.notify('recovery_code_used', user, { left })
    }
    const first = JSON.parse(challenge.data ?? '{}') as MfaChallengeData
    return this.deps.accounts.completeSecondFactor(user, client, first, input.method)
  }

  private async acceptTotp(userId: string, code: string, now: Date): Promise<boolean> {
    const factor = await this.deps.db.secondFactors.findTotp(userId)
    if (!factor?.confirmedAt) return false
    const step = matchingTimeStep(this.open(userId, factor.secretEnc), code, now)
    // One statement records the step unless it (or a later one) was used: a replay is refused.
    return step !== undefined && this.deps.db.secondFactors.useTotpStep(userId, step)
  }

  private async acceptRecoveryCode(userId: string, typed: string, now: Date): Promise<boolean> {
    const code = normalizeRecoveryCode(typed)
    if (code === undefined) return false
    return this.deps.db.secondFactors.useRecoveryCode(userId, hashRecoveryCode(code), now)
  }

  private newRecoveryCodes(userId: string) {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode)
    const createdAt = this.deps.now()
    const rows = codes.map((code) => ({
      id: newId(),
      userId,
      codeHash: hashRecoveryCode(normalizeRecoveryCode(code) ?? ''),
      createdAt,
    }))
    return { codes, rows }
  }

  /** Changes to factors need a fresh sign-in, so a stolen long-lived session cannot make them. */
  private async assertRecentSignIn(sessionId: string): Promise<void> {
    const session = await this.deps.db.sessions.findById(sessionId)
    const seconds = this.deps.config.RECENT_LOGIN_SECONDS
    if (!isRecentSignIn(session, this.deps.now(), seconds)) {
      throw new HttpProblem(
        401,
        'recent_login_required',
        `Sign in again (within ${seconds} s) to change your second factor.`,
      )
    }
  }

  private async account(userId: string): Promise<UserRecord> {
    const user = await this.deps.db.users.findById(userId)
    if (!user) throw new HttpProblem(401, 'invalid_token', 'The access token is not valid.')
    return user
  }

  private seal(userId: string, secret: Buffer): string {
    return this.deps.secretSeal.seal(userId, secret)
  }

  private open(userId: string, sealed: string): Buffer {
    return this.deps.secretSeal.open(userId, sealed)
  }
}

/**
 * Whose sign-in limits a second-factor failure counts against: the account's address, as for a
 * password; an account without one (a provider made it) by its id.
 */
function throttleIdentity(user: UserRecord): string {
  return user.email ?? `id:${user.id}`
}

const alreadyEnabled = () =>
  new HttpProblem(409, 'mfa_already_enabled', 'An authenticator is on already: remove it first.')
const notEnabled = (detail: string) => new HttpProblem(409, 'mfa_not_enabled', detail)
const invalidMfaToken = () =>
  new HttpProblem(400, 'invalid_token', 'The mfa_token is not valid: unknown, expired or used.')
