import type { OAuth2Namespace } from '@fastify/oauth2'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { randomValue } from './pkce.js'
import { type Provider, ProviderError, type ProviderId, type ProviderTokens } from './providers.js'

/**
 * The OAuth 2.0 machinery of a sign-in with one provider, done by @fastify/oauth2 (and
 * simple-oauth2 under it): the authorization URL (response_type, client_id, redirect_uri,
 * scope, state), PKCE S256 (the verifier and its challenge, RFC 7636 §4.1-4.2) and the
 * code-for-token exchange (RFC 6749 §4.1.3 with the verifier, RFC 7636 §4.5).
 *
 * What it cannot hold stays ours (docs/decisions.md, issue 21): the plugin keeps the state and
 * the verifier in two cookies of its own, compared and cleared but never expired or remembered,
 * with no room for the OIDC nonce or the client app's redirect_uri, state and challenge. So its
 * cookies never reach the browser: `begin` hands it a reply that only collects what it would
 * have set, and the caller seals state and verifier, with the rest, into our one flow cookie
 * (state-cookie.ts); `exchange` gives the plugin the verifier back from that cookie.
 */
export interface ProviderFlow {
  /** The URL to send the browser to (state and S256 challenge in it), and what to seal. */
  begin(): Promise<{ url: URL; state: string; codeVerifier: string }>
  /**
   * The provider's tokens for the code of a callback whose state was checked against the
   * sealed one; any failure (HTTP error, an `error` answer, no access_token, a timeout) is a
   * ProviderError.
   */
  exchange(
    callback: { code: string; state: string },
    sealed: { state: string; codeVerifier: string },
  ): Promise<ProviderTokens>
}

/**
 * Each stage of a token request (the answer's head, then its body) may take this long; a
 * provider that stalls fails the sign-in with `provider_error` instead of holding the callback.
 * Our own user-info calls have 10 s in all (providers.ts); two stages of 5 s match that.
 */
const TOKEN_STAGE_TIMEOUT_MS = 5_000

/** Names of the plugin's cookies: here they are only slots in the collected values. */
const STATE_SLOT = 'state'
const VERIFIER_SLOT = 'code_verifier'

/** What the plugin reads of a callback request: the query, and its verifier "cookie". */
interface CallbackView {
  query: { code: string; state: string }
  cookies: Record<string, string>
  sealedState: string
}

/** The plugin's namespace for a provider id: it decorates `oauth2` + the capitalised name. */
function namespaceName(id: ProviderId) {
  return `oauth2${id.charAt(0).toUpperCase()}${id.slice(1)}` as `oauth2${Capitalize<ProviderId>}`
}

/** Host and path of an endpoint as simple-oauth2 takes them; the path keeps any query. */
function hostAndPath(endpoint: string): { host: string; path: string } {
  const url = new URL(endpoint)
  return { host: url.origin, path: `${url.pathname}${url.search}` }
}

/**
 * Registers @fastify/oauth2 once per provider, in a scope of its own (nothing of it, not even
 * the @fastify/cookie it brings, touches our routes), and returns each provider's flow.
 */
export async function registerProviderFlows(
  fastify: FastifyInstance,
  providers: Iterable<Provider>,
  callbackUrl: (id: ProviderId) => string,
): Promise<Map<ProviderId, ProviderFlow>> {
  const flows = new Map<ProviderId, ProviderFlow>()
  const configured = [...providers]
  if (configured.length === 0) return flows
  // Loaded on first use: with simple-oauth2 and joi it costs about 50 ms (Node 24, here), which
  // a deployment without providers (the development default) should not pay at every start.
  const { default: fastifyOauth2 } = await import('@fastify/oauth2')
  await fastify.register(async (scope) => {
    for (const provider of configured) {
      const authorize = hostAndPath(provider.authorizeUrl)
      const token = hostAndPath(provider.tokenUrl)
      await scope.register(fastifyOauth2, {
        name: provider.id,
        credentials: {
          client: { id: provider.clientId, secret: provider.clientSecret },
          auth: {
            authorizeHost: authorize.host,
            authorizePath: authorize.path,
            tokenHost: token.host,
            tokenPath: token.path,
          },
          // The client secret in the body (RFC 6749 §2.3.1), as all three providers accept.
          options: { authorizationMethod: 'body', bodyFormat: 'form' },
          http: { timeout: TOKEN_STAGE_TIMEOUT_MS },
        },
        scope: provider.scopes.split(' '),
        callbackUri: callbackUrl(provider.id),
        pkce: 'S256',
        // 256 bits (the plugin's default is 128).
        generateStateFunction: () => randomValue(),
        // The full check (this browser's, this provider's, unexpired, unused) is done before
        // the exchange, against the sealed flow; this one is the plugin's last look.
        checkStateFunction: (request: FastifyRequest) => {
          const view = request as unknown as CallbackView
          return view.query.state === view.sealedState
        },
        redirectStateCookieName: STATE_SLOT,
        verifierCookieName: VERIFIER_SLOT,
        userAgent: 'authpair',
      })
      const namespace = scope[namespaceName(provider.id)]
      if (!namespace) throw new Error(`@fastify/oauth2 did not register ${provider.id}`)
      flows.set(provider.id, providerFlow(namespace))
    }
  })
  return flows
}

function providerFlow(plugin: OAuth2Namespace): ProviderFlow {
  return {
    async begin() {
      const collected = new Map<string, string>()
      const reply = {
        setCookie(name: string, value: string) {
          collected.set(name, value)
          return reply
        },
      }
      // The plugin reads nothing of the request here (our state function ignores it).
      const uri = await plugin.generateAuthorizationUri(
        {} as FastifyRequest,
        reply as unknown as FastifyReply,
      )
      const state = collected.get(STATE_SLOT)
      const codeVerifier = collected.get(VERIFIER_SLOT)
      if (!state || !codeVerifier) {
        throw new Error('@fastify/oauth2 set no state or PKCE verifier: is pkce still S256?')
      }
      return { url: new URL(uri), state, codeVerifier }
    },

    async exchange(callback, sealed) {
      const view: CallbackView = {
        query: callback,
        cookies: { [VERIFIER_SLOT]: sealed.codeVerifier },
        sealedState: sealed.state,
      }
      let token: Record<string, unknown>
      try {
        const answer = await plugin.getAccessTokenFromAuthorizationCodeFlow(
          view as unknown as FastifyRequest,
        )
        token = answer.token as unknown as Record<string, unknown>
      } catch (error) {
        throw new ProviderError(`token endpoint: ${failureOf(error)}`)
      }
      // GitHub answers a refused code with 200 and an `error` member.
      if (typeof token.error === 'string') throw new ProviderError(`token endpoint: ${token.error}`)
      if (typeof token.access_token !== 'string') {
        throw new ProviderError('token endpoint: no access_token')
      }
      return {
        accessToken: token.access_token,
        idToken: typeof token.id_token === 'string' ? token.id_token : undefined,
      }
    },
  }
}

/**
 * For the log: an HTTP error's OAuth `error` code when the body had one (Yandex answers 400
 * `invalid_grant`), else the message (wreck's "Response Error: 500 …", a timeout, bad JSON).
 */
function failureOf(error: unknown): string {
  const { data, message } = (error ?? {}) as {
    data?: { payload?: { error?: unknown } }
    message?: string
  }
  const code = data?.payload?.error
  return typeof code === 'string' ? `${message} (${code})` : String(message)
}
