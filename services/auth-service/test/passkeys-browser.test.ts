/**
 * Passkeys in a real browser: headless Chromium (Debian's, driven by playwright-core) with the
 * DevTools protocol's virtual authenticator (CTAP2, internal, resident keys, user verification)
 * on the example page (examples/passkeys), which talks to the auth-service on a real listener
 * at http://localhost:<port> (a secure context, as WebAuthn needs). A user signs in with a
 * password, adds a passkey, signs out, signs in with it usernameless and by email; the token's
 * amr says hwk or swk and mfa, and an admin under MFA_REQUIRED_ROLES=admin reaches /admin with
 * it; a deleted passkey no longer signs in; an unknown address gets an answer of the same
 * shape. Skipped loudly without Chromium unless REQUIRE_BROWSER=1 (CI).
 */
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { decodeJwt } from 'jose'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './helper.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const PASSWORD = 'passkey-browser-test-73'

let t: TestApp | undefined
let browser: Browser | undefined
let page: Page
let origin = ''
let skipReason: string | undefined

/** A free port, so ISSUER and WEBAUTHN_ORIGINS can name it before the app is built. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

beforeAll(async () => {
  skipReason = existsSync(CHROMIUM)
    ? undefined
    : `no Chromium at ${CHROMIUM} (apt-get install chromium)`
  if (skipReason) {
    if (process.env.REQUIRE_BROWSER === '1') {
      throw new Error(`the browser suite is required: ${skipReason}`)
    }
    console.warn(`\n!!! SKIPPED: the browser (passkeys) suite: ${skipReason}\n`)
    return
  }
  const port = await freePort()
  origin = `http://localhost:${port}`
  t = await buildTestApp({
    ISSUER: origin,
    WEBAUTHN_ORIGINS: origin,
    MFA_REQUIRED_ROLES: 'admin',
  })
  await t.app.listen({ host: '127.0.0.1', port })
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--host-resolver-rules=MAP localhost 127.0.0.1'],
  })
  page = await browser.newPage()
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await t?.close()
})

async function api(method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${origin}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are read field by field
  return { status: res.status, body: (text ? JSON.parse(text) : null) as any }
}

/** Clicks a button of the example page and waits for its status line to change to `expected`. */
async function click(id: string, expected: RegExp) {
  await page.click(`#${id}`)
  // Matched by Playwright's injected script: the page's CSP forbids evaluating strings.
  await page.locator('#status', { hasText: expected }).waitFor({ timeout: 15_000 })
  const status = (await page.textContent('#status')) ?? ''
  const result = JSON.parse((await page.textContent('#result')) || '{}')
  return { status, result }
}

const email = `passkey-browser.${Date.now()}@example.com`
let accessToken = ''
let passkeyId = ''

describe('passkeys in Chromium', () => {
  it('serves the example page with a CSP and no inline script', async ({ skip }) => {
    if (skipReason) skip()
    const res = await fetch(`${origin}/auth/passkeys/example/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(await res.text()).toMatch(/<script type="module" src="passkeys.js"><\/script>/)
    const script = await fetch(`${origin}/auth/passkeys/example/passkeys.js`)
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/)
    const bare = await fetch(`${origin}/auth/passkeys/example`, { redirect: 'manual' })
    expect([bare.status, bare.headers.get('location')]).toEqual([302, '/auth/passkeys/example/'])
    expect((await fetch(`${origin}/auth/passkeys/example/..%2Fpackage.json`)).status).toBe(404)
  })

  it('registers a passkey from the page after a password sign-in', async ({ skip }) => {
    if (skipReason) skip()
    expect((await api('POST', '/auth/register', { email, password: PASSWORD })).status).toBe(201)
    await page.goto(`${origin}/auth/passkeys/example/`)
    await page.fill('#email', email)
    await page.fill('#password', PASSWORD)
    const signedIn = await click('password-sign-in', /^signed in \(password\)$/)
    expect(signedIn.result.amr).toEqual(['pwd'])
    await page.fill('#passkey-name', 'Chromium virtual')
    const added = await click('register', /^passkey added$|^error/)
    expect(added.status).toBe('passkey added')
    expect(added.result).toMatchObject({ name: 'Chromium virtual', transports: ['internal'] })
    passkeyId = added.result.id
  })

  it('signs in with it usernameless: amr hwk or swk, and mfa; the token works', async ({
    skip,
  }) => {
    if (skipReason) skip()
    await click('sign-out', /^signed out$/)
    const { status, result } = await click('passkey-sign-in', /^signed in \(passkey\)$|^error/)
    expect(status).toBe('signed in (passkey)')
    expect(result.amr).toContain('mfa')
    expect(result.amr.some((v: string) => v === 'hwk' || v === 'swk')).toBe(true)
    accessToken = result.access_token
    const mfa = await api('GET', '/auth/mfa', undefined, accessToken)
    expect(mfa).toMatchObject({ status: 200, body: { passkeys: 1 } })
  })

  it('signs in with it by email', async ({ skip }) => {
    if (skipReason) skip()
    await click('sign-out', /^signed out$/)
    const { status, result } = await click(
      'passkey-sign-in-email',
      /^signed in \(passkey for an email\)$|^error/,
    )
    expect(status).toBe('signed in (passkey for an email)')
    expect(decodeJwt(result.access_token).amr).toContain('mfa')
  })

  it('takes an admin under MFA_REQUIRED_ROLES=admin to /admin with a passkey sign-in', async ({
    skip,
  }) => {
    if (skipReason || !t) return skip()
    const user = await t.app.db.users.findByEmail(email)
    await t.app.db.users.update(user?.id ?? '', { role: 'admin', updatedAt: new Date() })
    const password = await api('POST', '/auth/login', { email, password: PASSWORD })
    const refused = await api('GET', '/admin/auth/keys', undefined, password.body.access_token)
    expect(refused.body.code).toBe('mfa_required')
    await click('sign-out', /^signed out$/)
    const { result } = await click('passkey-sign-in', /^signed in \(passkey\)$|^error/)
    const admin = await api('GET', '/admin/auth/keys', undefined, result.access_token)
    expect(admin.status).toBe(200)
  })

  it('answers an unknown address in the same shape as a known one', async ({ skip }) => {
    if (skipReason) skip()
    const shape = async (address: string) =>
      page.evaluate(
        async (body) => {
          const res = await fetch('/auth/passkeys/login/options', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
          const json = (await res.json()) as { allowCredentials: object[] }
          return {
            status: res.status,
            keys: Object.keys(json).sort(),
            allow: json.allowCredentials.map((c: object) => Object.keys(c).sort()),
          }
        },
        { email: address },
      )
    expect(await shape('nobody.at.all@example.com')).toEqual(await shape(email))
  })

  it('no longer signs in with a deleted passkey', async ({ skip }) => {
    if (skipReason) skip()
    const fresh = await api('POST', '/auth/login', { email, password: PASSWORD })
    const deleted = await api(
      'DELETE',
      `/auth/passkeys/${passkeyId}`,
      undefined,
      fresh.body.access_token,
    )
    expect(deleted.status).toBe(204)
    await click('sign-out', /^signed out$/)
    const { status } = await click('passkey-sign-in', /^signed in|^error/)
    expect(status).toBe('error: invalid_passkey')
  })
})
