import { createHmac, randomBytes } from 'node:crypto'
import {
  type AuditTrail,
  isRecentSignIn,
  lastSignInMethodProblem,
  normalizeEmail,
  signInMethodsOf,
} from '@authpair/accounts'
import type {
  Passkey,
  PasskeyCreationOptions,
  PasskeyList,
  PasskeyRequestOptions,
  TokenPair,
} from '@authpair/contracts'
import {
  type Database,
  newId,
  type PasskeyRecord,
  UniqueViolationError,
  type WebauthnPurpose,
} from '@authpair/db'
import { HttpProblem } from '@authpair/service-kit'
import {
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server'
import { decodeClientDataJSON, isoBase64URL, isoUint8Array } from '@simplewebauthn/server/helpers'
import type { AccountService, ClientContext } from '../accounts/account-service.js'
import type { AuthConfig } from '../config.js'
import { type RelyingParty, relyingPartyOf } from './relying-party.js'

/** How long a ceremony's challenge works, seconds (design.md: 5 minutes, single use). */
export const WEBAUTHN_CHALLENGE_TTL_SECONDS = 300

/**
 * COSE algorithms offered, in order of preference: EdDSA (-8), ES256 (-7), RS256 (-257). RS256
 * is there for Windows Hello, whose keys are RSA.
 */
export const PASSKEY_ALGORITHMS = [-8, -7, -257]

export interface PasskeyServiceDeps {
  db: Database
  config: AuthConfig
  accounts: AccountService
  /** For events an admin caused: they carry the admin as actor. */
  auditTrail: AuditTrail
  now: () => Date
}

/**
 * Passkeys (design.md, "Passkeys (WebAuthn Level 3)"): registration for a signed-in user,
 * usernameless or email-first sign-in, list, rename, delete. The WebAuthn checks (CBOR,
 * signatures, origin, RP ID hash, flags) are @simplewebauthn/server's; what is ours: the
 * challenges (single use, server-side, 5 minutes), who a credential belongs to, the sign count
 * going backwards, and the account rules (completeSignIn decides whether a sign-in may finish).
 */
export class PasskeyService {
  readonly rp: RelyingParty
  /** Keys the stand-in credential ids of unknown addresses (see loginOptions). */
  private readonly decoyKey = randomBytes(32)

  constructor(private readonly deps: PasskeyServiceDeps) {
    this.rp = relyingPartyOf(deps.config)
  }

  async list(userId: string): Promise<PasskeyList> {
    const rows = await this.deps.db.passkeys.listForUser(userId)
    return { items: rows.map(toPasskey) }
  }

  async count(userId: string): Promise<number> {
    return this.deps.db.passkeys.countForUser(userId)
  }

  /**
   * Creation options for the signed-in user: attestation `none`, a discoverable credential
   * preferred (so a later sign-in can be usernameless), user verification required, and the
   * user's passkeys excluded (an authenticator does not register twice). Adding a way to sign
   * in needs a recent sign-in, like changing the second factor.
   */
  async registrationOptions(userId: string, sessionId: string): Promise<PasskeyCreationOptions> {
    await this.assertRecentSignIn(sessionId, 'add a passkey')
    const user = await this.deps.db.users.findById(userId)
    if (!user) throw new HttpProblem(401, 'invalid_token', 'The access token is not valid.')
    const existing = await this.deps.db.passkeys.listForUser(userId)
    const options = await generateRegistrationOptions({
      rpName: this.rp.name,
      rpID: this.rp.id,
      userName: user.email ?? user.id,
      userDisplayName: user.name ?? user.email ?? '',
      // The user handle: our user id (opaque, no personal data: WebAuthn §14.6.1).
      userID: isoUint8Array.fromUTF8String(user.id),
      attestationType: 'none',
      excludeCredentials: existing.map((p) => ({
        id: p.credentialId,
        transports: transportsOf(p),
      })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      supportedAlgorithmIDs: PASSKEY_ALGORITHMS,
      timeout: WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000,
    })
    await this.issueChallenge(options.challenge, 'registration', userId)
    return options as PublicKeyCredentialCreationOptionsJSON as PasskeyCreationOptions
  }

  /** Verifies a registration against its challenge (taken: single use) and stores the passkey. */
  async register(
    userId: string,
    response: RegistrationResponseJSON,
    name: string | undefined,
    client: ClientContext,
    acceptLanguage?: string,
  ): Promise<Passkey> {
    const now = this.deps.now()
    const challenge = await this.takeChallenge(response.response.clientDataJSON, 'registration')
    if (challenge?.userId !== userId) throw invalidPasskey(400)
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: () => true, // taken above: it was this user's, unused and fresh
        expectedOrigin: this.rp.origins,
        expectedRPID: this.rp.id,
        requireUserVerification: true,
        supportedAlgorithmIDs: PASSKEY_ALGORITHMS,
      })
    } catch {
      throw invalidPasskey(400)
    }
    if (!verified.verified) throw invalidPasskey(400)
    const { credential, credentialDeviceType, credentialBackedUp } = verified.registrationInfo
    const row = {
      id: newId(),
      userId,
      credentialId: credential.id,
      publicKey: isoBase64URL.fromBuffer(credential.publicKey),
      signCount: credential.counter,
      transports: response.response.transports?.join(' ') || null,
      backupEligible: credentialDeviceType === 'multiDevice',
      backedUp: credentialBackedUp,
      name: name ?? `Passkey ${now.toISOString().slice(0, 10)}`,
      createdAt: now,
    }
    try {
      await this.deps.db.passkeys.create(row)
    } catch (error) {
      if (error instanceof UniqueViolationError) {
        throw new HttpProblem(400, 'invalid_passkey', 'This passkey is registered already.')
      }
      throw error
    }
    await this.deps.accounts.audit('passkey_added', userId, client, { passkey_id: row.id })
    const user = await this.deps.db.users.findById(userId)
    if (user)
      await this.deps.accounts.notify(
        'passkey_added',
        user,
        { passkeyName: row.name },
        acceptLanguage,
      )
    return toPasskey({ ...row, lastUsedAt: null })
  }

  async rename(userId: string, id: string, name: string, client: ClientContext): Promise<Passkey> {
    const row = await this.deps.db.passkeys.rename(userId, id, name)
    if (!row) throw notFound()
    await this.deps.accounts.audit('passkey_renamed', userId, client, { passkey_id: id })
    return toPasskey(row)
  }

  /** Deletes one of the user's passkeys: a recent sign-in needed, never the last way in. */
  async remove(
    userId: string,
    sessionId: string,
    id: string,
    client: ClientContext,
    acceptLanguage?: string,
  ) {
    await this.assertRecentSignIn(sessionId, 'delete a passkey')
    const user = await this.deps.db.users.findById(userId)
    const passkey = await this.deps.db.passkeys.findForUser(userId, id)
    if (!user || !passkey) throw notFound()
    const last = lastSignInMethodProblem(await signInMethodsOf(this.deps.db, user))
    if (last) throw last
    if (!(await this.deps.db.passkeys.delete(userId, id))) throw notFound()
    await this.deps.accounts.audit('passkey_removed', userId, client, { passkey_id: id })
    await this.deps.accounts.notify(
      'passkey_removed',
      user,
      { passkeyName: passkey.name },
      acceptLanguage,
    )
  }

  /**
   * An admin deletes one of a user's passkeys (a lost or compromised authenticator): no recent
   * sign-in of the user's needed, but the same rule as the user's own delete, never the last
   * way in (409 last_sign_in_method: deactivate or delete the account instead). 404 for a user
   * or passkey that does not exist, or a passkey of another user. Audited with the admin as
   * actor; the owner is mailed, as for their own delete.
   */
  async removeByAdmin(userId: string, id: string, actorId: string, client: ClientContext) {
    const user = await this.deps.db.users.findById(userId)
    const passkey = user ? await this.deps.db.passkeys.findForUser(userId, id) : undefined
    if (!user || !passkey) throw notFound()
    const last = lastSignInMethodProblem(await signInMethodsOf(this.deps.db, user))
    if (last) throw last
    if (!(await this.deps.db.passkeys.delete(userId, id))) throw notFound()
    await this.deps.auditTrail.record('passkey_removed', {
      userId,
      actorId,
      client,
      data: { passkey_id: id, by: 'admin' },
    })
    await this.deps.accounts.notify('passkey_removed', user, {
      passkeyName: passkey.name,
      byAdmin: true,
    })
  }

  /**
   * Request options for a sign-in: usernameless (no email: the browser offers the passkeys it
   * has for this RP ID), or for an address, its passkeys as allowCredentials. An address
   * without an account (or without passkeys) gets one stand-in credential id, derived from the
   * address with a per-process key, so the answer has the same shape and repeats itself:
   * whether an address has an account is not told here (no enumeration).
   */
  async loginOptions(email: string | undefined): Promise<PasskeyRequestOptions> {
    let userId: string | null = null
    let allow: { id: string; transports?: AuthenticatorTransportFuture[] }[] | undefined
    if (email !== undefined) {
      const address = normalizeEmail(email)
      const user = await this.deps.db.users.findByEmail(address)
      const passkeys = user ? await this.deps.db.passkeys.listForUser(user.id) : []
      if (user && passkeys.length > 0) {
        userId = user.id
        allow = passkeys.map((p) => ({ id: p.credentialId, transports: transportsOf(p) }))
      } else {
        const decoy = createHmac('sha256', this.decoyKey).update(address).digest()
        allow = [{ id: isoBase64URL.fromBuffer(decoy), transports: ['internal', 'hybrid'] }]
      }
    }
    const options = await generateAuthenticationOptions({
      rpID: this.rp.id,
      userVerification: 'required',
      timeout: WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000,
      ...(allow ? { allowCredentials: allow } : {}),
    })
    await this.issueChallenge(options.challenge, 'authentication', userId)
    return options as PublicKeyCredentialRequestOptionsJSON as PasskeyRequestOptions
  }

  /**
   * A sign-in: the challenge is taken first (single use, whatever follows), the credential
   * must be registered (and the challenge's user's, for an email-first sign-in), the
   * assertion must verify with user verification, and its sign count must move forward when
   * either side counts. Then the account rules (completeSignIn) decide, and the session's amr
   * says hwk or swk, and mfa.
   */
  async signIn(response: AuthenticationResponseJSON, client: ClientContext): Promise<TokenPair> {
    const { db } = this.deps
    const challenge = await this.takeChallenge(response.response.clientDataJSON, 'authentication')
    if (!challenge) {
      await this.failed(null, client, { reason: 'challenge' })
      throw invalidPasskey(401)
    }
    const passkey = await db.passkeys.findByCredentialId(response.id)
    if (!passkey || (challenge.userId !== null && challenge.userId !== passkey.userId)) {
      await this.failed(null, client, { reason: 'unknown_credential' })
      throw invalidPasskey(401)
    }
    // The user handle, when the authenticator returns it, must name the passkey's owner.
    const handle = response.response.userHandle
    if (handle !== undefined && handle !== isoBase64URL.fromUTF8String(passkey.userId)) {
      await this.failed(passkey.userId, client, { reason: 'user_handle_mismatch' })
      throw invalidPasskey(401)
    }
    const verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: () => true, // taken above
      expectedOrigin: this.rp.origins,
      expectedRPID: this.rp.id,
      requireUserVerification: true,
      credential: {
        id: passkey.credentialId,
        publicKey: isoBase64URL.toBuffer(passkey.publicKey),
        // 0: the library's own counter check is off; ours below tells a regression apart
        // (audited) from a bad signature by value, not by an error message.
        counter: 0,
        transports: transportsOf(passkey),
      },
    }).catch(() => undefined) // malformed, wrong origin or RP ID, bad signature, no UV flag
    if (!verified?.verified || !verified.authenticationInfo.userVerified) {
      await this.failed(passkey.userId, client, { reason: 'verification_failed' })
      throw invalidPasskey(401)
    }
    const info = verified.authenticationInfo
    // WebAuthn §6.1.1: a counter that does not grow (when either side is non-zero) may mean a
    // cloned authenticator. Refused and audited; the owner's other passkeys still work.
    if ((info.newCounter > 0 || passkey.signCount > 0) && info.newCounter <= passkey.signCount) {
      await this.deps.accounts.audit('passkey_counter_regressed', passkey.userId, client, {
        passkey_id: passkey.id,
        stored: passkey.signCount,
        presented: info.newCounter,
      })
      throw invalidPasskey(401)
    }
    const user = await db.users.findById(passkey.userId)
    if (!user) throw invalidPasskey(401)
    const recorded = await db.passkeys.recordUse(passkey.id, {
      previousSignCount: passkey.signCount,
      signCount: info.newCounter,
      backedUp: info.credentialBackedUp,
      at: this.deps.now(),
    })
    if (!recorded) throw invalidPasskey(401) // a concurrent sign-in with this passkey won
    return this.deps.accounts.completeSignIn(user, client, {
      kind: 'passkey',
      synced: passkey.backupEligible,
    })
  }

  private async issueChallenge(challenge: string, purpose: WebauthnPurpose, userId: string | null) {
    const now = this.deps.now()
    await this.deps.db.passkeys.issueChallenge({
      challenge,
      purpose,
      userId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000),
    })
  }

  /**
   * Takes the challenge the response's clientDataJSON names: it must have been issued by us,
   * for this ceremony (and this user, for a registration), under 5 minutes ago, and not used.
   */
  private async takeChallenge(clientDataJSON: string, purpose: WebauthnPurpose) {
    let challenge: unknown
    try {
      challenge = decodeClientDataJSON(clientDataJSON).challenge
    } catch {
      return undefined
    }
    if (typeof challenge !== 'string' || challenge === '') return undefined
    return this.deps.db.passkeys.takeChallenge(challenge, purpose, this.deps.now())
  }

  private failed(userId: string | null, client: ClientContext, data: Record<string, unknown>) {
    return this.deps.accounts.audit('passkey_sign_in_failed', userId, client, data)
  }

  private async assertRecentSignIn(sessionId: string, what: string): Promise<void> {
    const session = await this.deps.db.sessions.findById(sessionId)
    const seconds = this.deps.config.RECENT_LOGIN_SECONDS
    if (!isRecentSignIn(session, this.deps.now(), seconds)) {
      throw new HttpProblem(
        401,
        'recent_login_required',
        `Sign in again (within ${seconds} s) to ${what}.`,
      )
    }
  }
}

function transportsOf(p: PasskeyRecord): AuthenticatorTransportFuture[] {
  return (p.transports?.split(' ').filter(Boolean) ?? []) as AuthenticatorTransportFuture[]
}

function toPasskey(p: PasskeyRecord): Passkey {
  return {
    id: p.id,
    name: p.name,
    created_at: p.createdAt.toISOString(),
    last_used_at: p.lastUsedAt?.toISOString() ?? null,
    transports: transportsOf(p),
    backup_eligible: p.backupEligible,
    backed_up: p.backedUp,
  }
}

function invalidPasskey(status: 400 | 401): HttpProblem {
  return new HttpProblem(
    status,
    'invalid_passkey',
    status === 400
      ? 'The passkey could not be registered: start again with new options.'
      : 'The passkey did not sign you in: start again with new options.',
  )
}

function notFound(): HttpProblem {
  return new HttpProblem(404, 'not_found', 'No such passkey.')
}
