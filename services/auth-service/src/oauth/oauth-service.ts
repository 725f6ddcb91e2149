import { timingSafeEqual } from 'node:crypto'
import {
  type AccountRules,
  decideFederatedAccount,
  lastSignInMethodProblem,
  normalizeEmail,
  signInMethodsOf,
} from '@authpair/accounts'
import type { IdentityList, TokenPair } from '@authpair/contracts'
import { type Database, newId, UniqueViolationError, type UserRecord } from '@authpair/db'
import { HttpProblem } from '@authpair/service-kit'
import type { FastifyBaseLogger } from 'fastify'
import type { AccountService, ClientContext } from '../accounts/account-service.js'
import type { AuthConfig } from '../config.js'
import { hashOpaqueToken, newOpaqueToken } from '../tokens/opaque-token.js'
import { codeChallengeS256, randomValue } from './pkce.js'
import type { ProviderFlow } from './provider-flow.js'
import type { Provider, ProviderId, ProviderProfile } from './providers.js'
import { type OAuthFlowState, sealState, unsealState } from './state-cookie.js'

/** How long a browser has between /authorize and /callback. */
export const FLOW_TTL_SECONDS = 600

export interface OAuthServiceDeps {
  db: Database
  config: AuthConfig
  providers: Map<ProviderId, Provider>
  /** Each provider's authorization and token steps (@fastify/oauth2, provider-flow.ts). */
  flows: Map<ProviderId, ProviderFlow>
  accounts: AccountService
  rules: AccountRules
  cookieKey: Buffer
  now: () => Date
  log: FastifyBaseLogger
}

/** Why a callback did not sign anyone in; the client gets it as `?error=`. */
type CallbackError =
  | 'access_denied'
  | 'invalid_state'
  | 'provider_error'
  | 'email_unavailable'
  | 'account_exists'
  | 'account_disabled'
  | 'email_not_verified'

class CallbackFailure extends Error {
  constructor(
    readonly error: CallbackError,
    detail: string,
  ) {
    super(detail)
  }
}

/**
 * Sign-in with Google, Yandex and GitHub (RFC 6749 code flow, RFC 7636 PKCE S256, RFC 9700):
 * a one-time state bound to the browser by a sealed cookie, a nonce for OpenID Connect, exact
 * redirect-URI matching, and no token in any URL: the callback hands the client a one-time
 * login code that it trades at POST /auth/oauth/exchange. The authorization URL, the PKCE pair
 * and the token request are @fastify/oauth2's (provider-flow.ts); the flow cookie, the state
 * checks, the nonce and who signed in are ours.
 */
export class OAuthService {
  /** States already used, until they would have expired: a replayed callback is refused. */
  private readonly spentStates = new Map<string, number>()

  constructor(private readonly deps: OAuthServiceDeps) {}

  listProviders(): { id: ProviderId; name: string }[] {
    return [...this.deps.providers.values()].map((p) => ({ id: p.id, name: p.name }))
  }

  provider(id: string): Provider {
    const provider = this.deps.providers.get(id as ProviderId)
    if (!provider)
      throw new HttpProblem(404, 'unknown_provider', `No provider "${id}" is configured.`)
    return provider
  }

  /**
   * Where to send the browser, and the sealed cookie that binds the flow to it. The client app
   * is an OAuth client of ours (RFC 6749, RFC 7636): its own `state` comes back to it unchanged,
   * and its `code_challenge` binds the login code to the app instance that started the flow, so
   * a code planted in someone else's browser is useless (login CSRF).
   */
  async authorize(
    providerId: string,
    query: {
      redirect_uri: string
      state?: string | undefined
      code_challenge?: string | undefined
      code_challenge_method?: 'S256' | undefined
    },
  ): Promise<{ location: string; cookie: string }> {
    const provider = this.provider(providerId)
    const redirectUri = query.redirect_uri
    if (!this.deps.config.OAUTH_REDIRECT_URIS.includes(redirectUri)) {
      throw new HttpProblem(400, 'invalid_redirect_uri', 'redirect_uri is not on the allowlist.', {
        errors: [
          { path: 'query.redirect_uri', message: 'must match an allowed redirect URI exactly' },
        ],
      })
    }
    if (query.code_challenge !== undefined && query.code_challenge_method !== 'S256') {
      // RFC 7636 §4.3: an absent method means "plain", which we do not accept.
      throw invalidRequest('query.code_challenge_method', 'must be S256 with a code_challenge')
    }
    if (query.code_challenge === undefined && query.code_challenge_method !== undefined) {
      throw invalidRequest('query.code_challenge', 'is required with code_challenge_method')
    }
    if (query.code_challenge === undefined && requireAppPkce(this.deps.config)) {
      throw invalidRequest('query.code_challenge', 'is required (OAUTH_REQUIRE_APP_PKCE)')
    }
    const { url, state, codeVerifier } = await this.flow(provider.id).begin()
    const flow: OAuthFlowState = {
      provider: provider.id,
      state,
      codeVerifier,
      nonce: randomValue(),
      redirectUri,
      appState: query.state,
      appCodeChallenge: query.code_challenge,
      expiresAt: this.deps.now().getTime() + FLOW_TTL_SECONDS * 1000,
    }
    // OpenID Connect Core §3.1.2.1; @fastify/oauth2 knows no nonce, so it is added here.
    if (provider.usesNonce) url.searchParams.set('nonce', flow.nonce)
    return { location: url.toString(), cookie: sealState(this.deps.cookieKey, flow) }
  }

  /**
   * Handles the provider's redirect back. Always answers with a redirect to the client: with a
   * one-time login code on success, with `?error=` otherwise. Never signs anyone in on a
   * missing, wrong, expired or replayed state, or on a provider error.
   */
  async callback(
    providerId: string,
    query: { code?: string | undefined; state?: string | undefined; error?: string | undefined },
    sealedCookie: string | undefined,
    client: ClientContext,
  ): Promise<string> {
    const flow = unsealState(this.deps.cookieKey, sealedCookie)
    // Without a readable cookie we do not know the client's redirect_uri: use the first allowed.
    const fallback = this.deps.config.OAUTH_REDIRECT_URIS[0]
    const target = flow?.redirectUri ?? fallback
    if (!target)
      throw new HttpProblem(400, 'invalid_redirect_uri', 'No redirect URI is configured.')
    // The client's own state goes back with either answer (RFC 6749 §4.1.2, §4.1.2.1).
    const appState: Record<string, string> =
      flow?.appState !== undefined ? { state: flow.appState } : {}
    try {
      const provider = this.provider(providerId)
      const now = this.deps.now().getTime()
      this.forgetExpiredStates(now)
      if (!flow || flow.provider !== provider.id || !query.state || query.state !== flow.state) {
        throw new CallbackFailure('invalid_state', 'state missing or not this browser’s')
      }
      if (flow.expiresAt <= now) throw new CallbackFailure('invalid_state', 'flow expired')
      if (this.spentStates.has(flow.state))
        throw new CallbackFailure('invalid_state', 'state replayed')
      this.spentStates.set(flow.state, flow.expiresAt)
      if (query.error) throw new CallbackFailure('access_denied', `provider said ${query.error}`)
      if (!query.code) throw new CallbackFailure('provider_error', 'no code')

      let profile: ProviderProfile
      try {
        const tokens = await this.flow(provider.id).exchange(
          { code: query.code, state: query.state },
          flow,
        )
        profile = await provider.profile(tokens, flow.nonce)
      } catch (error) {
        throw new CallbackFailure('provider_error', (error as Error).message)
      }
      const user = await this.resolveAccount(provider.id, profile, client)
      // A second factor is asked for at the exchange (completeSignIn), like after a password.
      const step = await this.deps.accounts.signInStep(user, {
        kind: 'provider',
        provider: provider.id,
      })
      if (step.kind === 'refused') {
        await this.deps.accounts.audit('login_failed', user.id, client, {
          reason: step.problem.code,
          via: provider.id,
        })
        throw new CallbackFailure(
          step.problem.code === 'email_not_verified' ? 'email_not_verified' : 'account_disabled',
          step.problem.message,
        )
      }
      const code = await this.issueLoginCode(user, provider.id, flow.appCodeChallenge)
      return this.redirect(target, { code, ...appState })
    } catch (error) {
      if (!(error instanceof CallbackFailure)) throw error
      this.deps.log.info({ provider: providerId, reason: error.message }, 'OAuth callback refused')
      await this.deps.accounts.audit('oauth_failed', null, client, {
        provider: providerId,
        error: error.error,
      })
      return this.redirect(target, { error: error.error, ...appState })
    }
  }

  /**
   * Trades a login code (once, within OAUTH_LOGIN_CODE_TTL_SECONDS) for a token pair. A code
   * issued for a code_challenge needs its verifier (RFC 7636 §4.6); a verifier for a code issued
   * without one is refused too, since a challenge stripped from the authorize request on its
   * way (a downgrade) would otherwise pass unnoticed. Either mistake spends the code.
   */
  async exchange(
    code: string,
    codeVerifier: string | undefined,
    client: ClientContext,
  ): Promise<TokenPair> {
    const record = await this.deps.db.oneTimeTokens.consume(
      hashOpaqueToken(code),
      'oauth_login',
      this.deps.now(),
    )
    const user = record ? await this.deps.db.users.findById(record.userId) : undefined
    if (!record || !user) {
      throw new HttpProblem(
        400,
        'invalid_token',
        'The login code is not valid: unknown, expired or used.',
      )
    }
    const data = JSON.parse(record.data ?? '{}') as {
      provider: ProviderId
      code_challenge?: string
    }
    if (!verifierMatches(data.code_challenge, codeVerifier)) {
      await this.deps.accounts.audit('oauth_failed', user.id, client, {
        provider: data.provider,
        error: 'invalid_grant',
      })
      throw new HttpProblem(
        400,
        'invalid_grant',
        data.code_challenge === undefined
          ? 'This login code was issued without a code_challenge: send no code_verifier.'
          : 'The code_verifier does not match the code_challenge this sign-in started with.',
        { errors: [{ path: 'body.code_verifier', message: 'does not match' }] },
      )
    }
    return this.deps.accounts.completeSignIn(user, client, {
      kind: 'provider',
      provider: data.provider,
    })
  }

  async identities(userId: string): Promise<IdentityList> {
    const rows = await this.deps.db.identities.listForUser(userId)
    return {
      items: rows.map((r) => ({
        provider: r.provider as ProviderId,
        email: r.email,
        created_at: r.createdAt.toISOString(),
      })),
    }
  }

  /** Unlinks a provider, unless it is the last way to sign in. */
  async unlink(userId: string, provider: string, client: ClientContext): Promise<void> {
    const user = await this.deps.db.users.findById(userId)
    const rows = await this.deps.db.identities.listForUser(userId)
    if (!user || !rows.some((r) => r.provider === provider)) {
      throw new HttpProblem(404, 'not_found', `No ${provider} identity is linked.`)
    }
    const last = lastSignInMethodProblem(await signInMethodsOf(this.deps.db, user))
    if (last) throw last
    await this.deps.db.identities.delete(userId, provider)
    await this.deps.accounts.audit('identity_unlinked', userId, client, { provider })
  }

  /**
   * The account a provider identity signs in to, as the linking policy decides
   * (@authpair/accounts, linking-policy.ts: an address claims an account only when someone
   * proved it).
   */
  private async resolveAccount(
    provider: ProviderId,
    profile: ProviderProfile,
    client: ClientContext,
  ): Promise<UserRecord> {
    const { db } = this.deps
    const linked = await db.identities.findByProviderUser(provider, profile.providerUserId)
    const linkedUser = linked ? await db.users.findById(linked.userId) : undefined
    if (linked && !linkedUser) throw new CallbackFailure('provider_error', 'identity without user')
    const email = profile.email ? normalizeEmail(profile.email) : undefined
    const holder = !linkedUser && email ? await db.users.findByEmail(email) : undefined
    const decision = decideFederatedAccount({
      linkedUser,
      email,
      emailVerified: profile.emailVerified,
      holder,
    })
    const now = this.deps.now()
    switch (decision.action) {
      case 'refuse':
        throw new CallbackFailure(decision.reason, `linking policy: ${decision.reason}`)
      case 'sign_in':
        return decision.user
      case 'claim':
        // The identity is linked after the account's earlier credentials are gone.
        await this.deps.accounts.claimAccount(decision.user, provider, client)
        await this.link(decision.user.id, provider, profile, email ?? null, now)
        await this.deps.accounts.audit('identity_linked', decision.user.id, client, { provider })
        return { ...decision.user, passwordHash: null, emailVerified: true }
      case 'link':
        await this.link(decision.user.id, provider, profile, email ?? null, now)
        await this.deps.accounts.audit('identity_linked', decision.user.id, client, { provider })
        return decision.user
      case 'create': {
        let user: UserRecord
        try {
          user = await this.deps.rules.createUser({
            email: decision.email,
            emailVerified: decision.email !== null,
            name: profile.name ?? null,
          })
        } catch (error) {
          if (error instanceof HttpProblem && error.code === 'email_taken') {
            throw new CallbackFailure('account_exists', 'email registered concurrently')
          }
          throw error
        }
        await this.link(user.id, provider, profile, email ?? null, now)
        await this.deps.accounts.audit('user_registered', user.id, client, { via: provider })
        if (decision.pendingEmail) {
          await this.deps.accounts.queueVerification(user, decision.pendingEmail)
        }
        return user
      }
    }
  }

  private async link(
    userId: string,
    provider: ProviderId,
    profile: ProviderProfile,
    email: string | null,
    now: Date,
  ) {
    try {
      await this.deps.db.identities.create({
        id: newId(),
        userId,
        provider,
        providerUserId: profile.providerUserId,
        email,
        createdAt: now,
      })
    } catch (error) {
      if (error instanceof UniqueViolationError) {
        throw new CallbackFailure(
          'account_exists',
          'identity linked concurrently or provider already linked',
        )
      }
      throw error
    }
  }

  private async issueLoginCode(
    user: UserRecord,
    provider: ProviderId,
    codeChallenge: string | undefined,
  ): Promise<string> {
    const code = newOpaqueToken()
    const now = this.deps.now()
    await this.deps.db.oneTimeTokens.issue({
      id: newId(),
      userId: user.id,
      purpose: 'oauth_login',
      tokenHash: hashOpaqueToken(code),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.deps.config.OAUTH_LOGIN_CODE_TTL_SECONDS * 1000),
      data: JSON.stringify({ provider, code_challenge: codeChallenge }),
    })
    return code
  }

  private redirect(target: string, params: Record<string, string>): string {
    const url = new URL(target)
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
    return url.toString()
  }

  private flow(provider: ProviderId): ProviderFlow {
    const flow = this.deps.flows.get(provider)
    if (!flow) throw new Error(`no @fastify/oauth2 flow for ${provider}`)
    return flow
  }

  private forgetExpiredStates(now: number): void {
    for (const [state, expiresAt] of this.spentStates) {
      if (expiresAt > now) break // insertion order ≈ expiry order
      this.spentStates.delete(state)
    }
  }
}

function invalidRequest(path: string, message: string): HttpProblem {
  return new HttpProblem(400, 'invalid_request', `${path.split('.')[1]} ${message}.`, {
    errors: [{ path, message }],
  })
}

/** OAUTH_REQUIRE_APP_PKCE, whose default depends on NODE_ENV: on in production. */
function requireAppPkce(config: AuthConfig): boolean {
  return config.OAUTH_REQUIRE_APP_PKCE ?? config.NODE_ENV === 'production'
}

/** RFC 7636 §4.6: BASE64URL(SHA256(verifier)) equals the challenge; no verifier without one. */
function verifierMatches(challenge: string | undefined, verifier: string | undefined): boolean {
  if (challenge === undefined) return verifier === undefined
  if (verifier === undefined) return false
  const expected = Buffer.from(challenge, 'ascii')
  const actual = Buffer.from(codeChallengeS256(verifier), 'ascii')
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}
