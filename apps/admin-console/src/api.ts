/**
 * The console's only way to the server: the public API, same origin, through the gateway.
 *
 * The refresh token lives in the auth-service's HttpOnly cookie (cookie mode, DESIGN.md
 * "Clients"): this code never sees it. The access token lives in this object only, never in
 * localStorage or sessionStorage, so a reload signs in again from the cookie (`resume`).
 */

import type { RequestOptionsJson } from './passkey.js'

/** RFC 9457 problem details as the services send them (DESIGN.md, Errors). */
export interface Problem {
  status: number
  code: string
  detail?: string
  title?: string
  mfa_token?: string
  methods?: string[]
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? problem.code)
  }
  get code(): string {
    return this.problem.code
  }
  get status(): number {
    return this.problem.status
  }
}

/** What a password sign-in led to: done, or a second factor to give. */
export type SignInStep = { kind: 'done' } | { kind: 'mfa'; mfaToken: string; methods: string[] }

/** The claims the console reads from its own access token (to greet and to check the role). */
export interface Claims {
  sub: string
  role?: string
  amr?: string[]
  exp: number
}

/** Cookie mode, and the header a cross-site form cannot send (the auth-service checks it). */
const COOKIE_MODE = 'token_delivery=cookie'
const CSRF_HEADERS = { 'x-requested-with': 'fetch' }

type Query = Record<string, string | number | boolean | undefined | null>

function withQuery(path: string, query?: Query): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value))
  }
  const text = params.toString()
  return text ? `${path}${path.includes('?') ? '&' : '?'}${text}` : path
}

async function problemOf(response: Response): Promise<Problem> {
  const text = await response.text()
  try {
    const body = JSON.parse(text) as Partial<Problem>
    if (typeof body.code === 'string') return { ...body, status: response.status } as Problem
  } catch {
    // Not JSON: a proxy's page, say. Fall through.
  }
  return { status: response.status, code: 'unexpected_response', detail: response.statusText }
}

function decodeClaims(token: string): Claims {
  const payload = token.split('.')[1] ?? ''
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'))
  return JSON.parse(json) as Claims
}

export class Api {
  private accessToken: string | null = null
  private refreshing: Promise<boolean> | null = null
  /** Called when the session is gone (refresh refused): the app shows the sign-in form. */
  onSignedOut: () => void = () => {}

  claims(): Claims | null {
    return this.accessToken ? decodeClaims(this.accessToken) : null
  }

  /** Email and password. An admin with a second factor gets the `mfa` step. */
  async signIn(email: string, password: string): Promise<SignInStep> {
    const response = await fetch(`/auth/login?${COOKIE_MODE}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...CSRF_HEADERS },
      body: JSON.stringify({ email, password }),
      credentials: 'same-origin',
    })
    if (response.ok) {
      this.accessToken = ((await response.json()) as { access_token: string }).access_token
      return { kind: 'done' }
    }
    const problem = await problemOf(response)
    if (problem.code === 'mfa_required' && problem.mfa_token) {
      return { kind: 'mfa', mfaToken: problem.mfa_token, methods: problem.methods ?? [] }
    }
    throw new ApiError(problem)
  }

  /** The second step: a code from the authenticator app, or a recovery code. */
  async verifySecondFactor(mfaToken: string, method: string, code: string): Promise<void> {
    const response = await fetch(`/auth/mfa/verify?${COOKIE_MODE}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...CSRF_HEADERS },
      body: JSON.stringify({ mfa_token: mfaToken, method, code }),
      credentials: 'same-origin',
    })
    if (!response.ok) throw new ApiError(await problemOf(response))
    this.accessToken = ((await response.json()) as { access_token: string }).access_token
  }

  /**
   * A passkey sign-in (usernameless): it is two factors in one, so no second step follows.
   * `answer` runs the browser's WebAuthn ceremony on the server's options.
   */
  async signInWithPasskey(
    answer: (options: RequestOptionsJson) => Promise<unknown>,
  ): Promise<void> {
    const post = (path: string, body: unknown) =>
      fetch(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...CSRF_HEADERS },
        body: JSON.stringify(body),
        credentials: 'same-origin',
      })
    const options = await post('/auth/passkeys/login/options', {})
    if (!options.ok) throw new ApiError(await problemOf(options))
    const response = await answer((await options.json()) as RequestOptionsJson)
    const verified = await post(`/auth/passkeys/login/verify?${COOKIE_MODE}`, { response })
    if (!verified.ok) throw new ApiError(await problemOf(verified))
    this.accessToken = ((await verified.json()) as { access_token: string }).access_token
  }

  /** A new access token from the refresh cookie; false when there is no live session. */
  resume(): Promise<boolean> {
    this.refreshing ??= (async () => {
      try {
        const response = await fetch(`/auth/token/refresh?${COOKIE_MODE}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...CSRF_HEADERS },
          body: '{}',
          credentials: 'same-origin',
        })
        if (!response.ok) {
          this.accessToken = null
          return false
        }
        this.accessToken = ((await response.json()) as { access_token: string }).access_token
        return true
      } finally {
        this.refreshing = null
      }
    })()
    return this.refreshing
  }

  async signOut(): Promise<void> {
    await fetch(`/auth/logout?${COOKIE_MODE}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...CSRF_HEADERS },
      body: '{}',
      credentials: 'same-origin',
    }).catch(() => undefined)
    this.accessToken = null
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.call<T>('GET', withQuery(path, query))
  }

  send<T = void>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return this.call<T>(method, path, body)
  }

  /** One admin API call; an expired access token is renewed from the cookie once. */
  private async call<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
    const headers: Record<string, string> = {}
    if (this.accessToken) headers.authorization = `Bearer ${this.accessToken}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const response = await fetch(path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      credentials: 'same-origin',
    })
    if (response.status === 401 && !retried) {
      if (await this.resume()) return this.call<T>(method, path, body, true)
      this.onSignedOut()
    }
    if (!response.ok) throw new ApiError(await problemOf(response))
    if (response.status === 204) return undefined as T
    return (await response.json()) as T
  }
}

export const api = new Api()
