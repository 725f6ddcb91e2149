/**
 * The admin console (apps/admin-console) in headless Chromium, through the development gateway
 * (`pnpm start`'s stand-in for nginx; the nginx suite checks the same routes and headers there),
 * against both services on the run's database, with the second factor required of admins
 * (MFA_REQUIRED_ROLES=admin, the production default).
 *
 * An admin signs in with password and TOTP, finds a user, ends their sessions (their refresh
 * token then fails), deactivates them (their login then gets 403), rotates a signing key (the
 * JWKS shows it), creates a client (its secret works at /auth/token); from an address outside
 * the allowlist the page is 403; a non-admin who signs in sees no data. Nothing breaks the
 * Content-Security-Policy on the way. SCREENSHOTS_DIR=docs/admin-console writes the README's
 * screenshots. Skipped loudly without Chromium unless REQUIRE_BROWSER=1 (CI).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { buildGateway } from '@authpair/launcher/gateway'
import { freePort } from '@authpair/service-kit/testing'
import type { FastifyInstance } from 'fastify'
import * as OTPAuth from 'otpauth'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD, type Pair, startPair } from './helper.js'
import { addVirtualAuthenticator, browserSkipReason, launchChromium } from './support/chromium.js'

const SCREENSHOTS = process.env.SCREENSHOTS_DIR
let pair: Pair | undefined
let gateway: FastifyInstance | undefined
let outsider: FastifyInstance | undefined
let browser: Browser | undefined
let page: Page | undefined
let origin = ''
let outsiderOrigin = ''
let skipReason: string | undefined
/** Everything the page reported: CSP violations and script errors land here. */
const pageProblems: string[] = []

const admin = {
  email: '',
  password: PASSWORD,
  totp: undefined as OTPAuth.TOTP | undefined,
  recoveryCodes: [] as string[],
}
let victim: { userId: string; email: string; refreshToken: string } | undefined
let victimToken = ''

beforeAll(async () => {
  skipReason = browserSkipReason('the admin console browser suite')
  if (skipReason) return
  const port = await freePort()
  origin = `http://localhost:${port}`
  const mfa = { MFA_REQUIRED_ROLES: 'admin' }
  pair = await startPair({ ISSUER: origin, ...mfa }, { authEnv: { ISSUER: origin, ...mfa } })
  const usersUrl = await pair.users.listen({ host: '127.0.0.1', port: 0 })
  const upstreams = { authUpstream: pair.authUrl, usersUpstream: usersUrl }
  gateway = await buildGateway({ ...upstreams, adminAllowIps: ['127.0.0.1'] })
  await gateway.listen({ host: '127.0.0.1', port })
  // The same system behind a gateway whose allowlist does not hold this machine's address.
  const outsiderPort = await freePort()
  outsiderOrigin = `http://localhost:${outsiderPort}`
  outsider = await buildGateway({ ...upstreams, adminAllowIps: ['192.0.2.10'] })
  await outsider.listen({ host: '127.0.0.1', port: outsiderPort })

  // The admin: a password, and an authenticator app enrolled through the public API.
  const made = await pair.userWithToken('admin')
  admin.email = made.email
  const setup = await api('POST', '/auth/mfa/totp/setup', made.token)
  expect(setup.status).toBe(200)
  admin.totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(setup.body.secret) })
  const confirmed = await api('POST', '/auth/mfa/totp/confirm', made.token, {
    code: admin.totp.generate(),
  })
  expect(confirmed.status).toBe(200)
  admin.recoveryCodes = confirmed.body.recovery_codes

  const someone = await pair.userWithToken()
  victim = { userId: someone.userId, email: someone.email, refreshToken: someone.refreshToken }
  victimToken = someone.token

  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.on('console', (message) => {
    // An answer's status (the 401 of the first refresh without a cookie, the 403 mfa_required)
    // is logged as "Failed to load resource": expected. A CSP refusal or a script error is not.
    const text = message.text()
    if (message.type() === 'error' && !text.startsWith('Failed to load resource')) {
      pageProblems.push(text)
    }
  })
  page.on('pageerror', (error) => pageProblems.push(error.message))
  // Every confirmation dialog of the console is its own <dialog>, never window.confirm.
  page.on('dialog', (dialog) => {
    pageProblems.push(`unexpected native dialog: ${dialog.message()}`)
    void dialog.dismiss()
  })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await outsider?.close()
  await gateway?.close()
  await pair?.close()
})

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of several shapes.
type Body = any

/** A call through the gateway, as any client makes it. */
async function api(method: string, path: string, token?: string, body?: unknown) {
  const response = await fetch(`${origin.replace('localhost', '127.0.0.1')}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await response.text()
  return { status: response.status, body: (text ? JSON.parse(text) : null) as Body }
}

/** A code from the next 30-second step: the step used at enrolment cannot be replayed. */
function nextCode(): string {
  const totp = admin.totp as OTPAuth.TOTP
  return totp.generate({ timestamp: Date.now() + 30_000 })
}

async function screenshot(name: string) {
  if (!SCREENSHOTS || !page) return
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) })
}

/** In the page: a passkey for the bearer of `token`, through the public API; the status. */
const REGISTER_PASSKEY = `async (token) => {
  const b64 = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '')
  const bin = (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))
  const call = (path, body) => fetch(path, {
    method: 'POST',
    headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const options = await (await call('/auth/passkeys/register/options', {})).json()
  const credential = await navigator.credentials.create({ publicKey: {
    ...options,
    challenge: bin(options.challenge),
    user: { ...options.user, id: bin(options.user.id) },
    excludeCredentials: (options.excludeCredentials || []).map((d) => ({ ...d, id: bin(d.id) })),
  } })
  const r = credential.response
  const verified = await call('/auth/passkeys/register/verify', {
    name: 'console test',
    response: {
      id: credential.id,
      rawId: b64(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: b64(r.clientDataJSON),
        attestationObject: b64(r.attestationObject),
        transports: r.getTransports(),
      },
      clientExtensionResults: credential.getClientExtensionResults(),
    },
  })
  return verified.status
}`

/** Clicks the console's confirming button in its modal dialog. */
async function confirm(p: Page) {
  await p.locator('dialog[open] #confirm-yes').click()
}

describe('the admin console in Chromium, through the gateway', () => {
  it('serves the page with a strict CSP, and 403 to an address outside the allowlist', async ({
    skip,
  }) => {
    if (skipReason || !browser || !page) return skip()
    const response = await page.goto(`${origin}/admin/`)
    expect(response?.status()).toBe(200)
    const csp = response?.headers()['content-security-policy'] ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("default-src 'none'")
    expect(csp).not.toContain('unsafe-inline')

    const elsewhere = await browser.newPage()
    const refused = await elsewhere.goto(`${outsiderOrigin}/admin/`)
    expect(refused?.status()).toBe(403)
    expect(await elsewhere.textContent('body')).toContain('forbidden')
    // Nor the script, nor the API behind it.
    const script = await elsewhere.goto(`${outsiderOrigin}/admin/console/app.js`)
    expect(script?.status()).toBe(403)
    await elsewhere.close()
  })

  it('signs an admin in with password and TOTP, the refresh token in an HttpOnly cookie', async ({
    skip,
  }) => {
    if (skipReason || !page) return skip()
    await page.getByLabel('Email').fill(admin.email)
    await page.getByLabel('Password').fill(admin.password)
    await screenshot('sign-in')
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await page.getByRole('heading', { name: 'Second factor' }).waitFor()
    await page.getByLabel('Code').fill(nextCode())
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.getByRole('heading', { name: 'Users' }).waitFor()

    const cookies = await page.context().cookies()
    const refresh = cookies.find((c) => c.name === 'authpair_refresh')
    expect(refresh?.httpOnly).toBe(true)
    expect(refresh?.sameSite).toBe('Strict')
    // No token anywhere a script could read it back later.
    const stored = await page.evaluate(
      '[Object.keys(localStorage).length, Object.keys(sessionStorage).length, document.cookie]',
    )
    expect(stored).toEqual([0, 0, ''])

    // A reload keeps the session (a new access token from the cookie), not the sign-in form.
    await page.reload()
    await page.getByRole('heading', { name: 'Users' }).waitFor()
  })

  it('finds a user, ends their sessions and deactivates them', async ({ skip }) => {
    if (skipReason || !page || !victim) return skip()
    // What users type ends up on the admin's screen: it must stay text.
    const hostileName = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    const named = await api('PATCH', '/users/me', victimToken, { name: hostileName })
    expect(named.status).toBe(200)
    const prefix = victim.email.slice(0, 12)
    await page.getByLabel('Email starts with').fill(prefix)
    await page.getByRole('button', { name: 'Search' }).click()
    const link = page.getByRole('link', { name: victim.email })
    await link.waitFor()
    await page.getByRole('cell', { name: hostileName }).waitFor()
    expect(await page.evaluate('window.__pwned')).toBeUndefined()
    await screenshot('users')
    await link.click()
    await page.getByRole('heading', { name: victim.email }).waitFor()
    // Their one session (from userWithToken) is listed with its own end button.
    await page.locator('#sessions tbody tr').first().waitFor()
    expect(await page.locator('#sessions tbody tr').count()).toBe(1)
    await screenshot('user')

    await page.getByRole('button', { name: 'End all sessions' }).click()
    await confirm(page)
    await page.getByRole('status').filter({ hasText: 'All sessions ended.' }).waitFor()
    await page.getByText('No live session.').waitFor()
    const refreshed = await api('POST', '/auth/token/refresh', undefined, {
      refresh_token: victim.refreshToken,
    })
    expect(refreshed.status).toBe(401)

    // A cancelled confirmation changes nothing.
    await page.getByRole('button', { name: 'Deactivate' }).click()
    await page.locator('dialog[open]').getByRole('button', { name: 'Cancel' }).click()
    await page.getByRole('status').filter({ hasText: 'Nothing was changed.' }).waitFor()
    expect(await page.textContent('#profile-state')).toBe('active')

    await page.getByRole('button', { name: 'Deactivate' }).click()
    await confirm(page)
    await page.getByRole('status').filter({ hasText: 'Deactivated.' }).waitFor()
    await page.locator('#profile-state', { hasText: 'deactivated' }).waitFor()
    const login = await api('POST', '/auth/login', undefined, {
      email: victim.email,
      password: PASSWORD,
    })
    expect(login.status).toBe(403)

    // Each action is in the audit trail, and the page shows it.
    await page.locator('table.audit', { hasText: 'sessions_revoked' }).waitFor()
  })

  it('rotates a signing key: the JWKS publishes it', async ({ skip }) => {
    if (skipReason || !page) return skip()
    const before = await api('GET', '/.well-known/jwks.json')
    await page.getByRole('link', { name: 'Signing keys' }).click()
    await page.locator('#keys tbody tr').first().waitFor()
    const rows = await page.locator('#keys tbody tr').count()
    await page.getByRole('button', { name: 'Rotate' }).click()
    await confirm(page)
    await page.getByRole('status').filter({ hasText: 'A new key is published.' }).waitFor()
    await expect.poll(() => page?.locator('#keys tbody tr').count()).toBe(rows + 1)
    await screenshot('keys')

    const after = await api('GET', '/.well-known/jwks.json')
    const kids = (jwks: Body) => jwks.keys.map((k: { kid: string }) => k.kid) as string[]
    const added = kids(after.body).filter((kid) => !kids(before.body).includes(kid))
    expect(added).toHaveLength(1)
    expect(await page.locator('#keys').textContent()).toContain(added[0])
  })

  it('creates a client whose secret, shown once, works at /auth/token', async ({ skip }) => {
    if (skipReason || !page) return skip()
    await page.getByRole('link', { name: 'Clients' }).click()
    await page.getByLabel('Name').fill('billing-worker')
    await page.getByLabel('Scopes').fill('users:read')
    await page.getByRole('button', { name: 'Create client' }).click()
    await page.locator('#client-secret').waitFor()
    const clientId = (await page.textContent('#shown-client-id')) ?? ''
    const secret = (await page.textContent('#shown-client-secret')) ?? ''
    expect(secret.length).toBeGreaterThan(20)
    await screenshot('clients')

    const token = await fetch(`${origin.replace('localhost', '127.0.0.1')}/auth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials&scope=users:read',
    })
    expect(token.status).toBe(200)
    expect(((await token.json()) as Body).scope).toBe('users:read')

    // Shown once: after a reload the page has no way to show it again.
    await page.reload()
    await page.locator('#clients', { hasText: 'billing-worker' }).waitFor()
    expect(await page.locator('#client-secret').count()).toBe(0)
    expect(await page.content()).not.toContain(secret)
  })

  it('browses the audit log with a filter', async ({ skip }) => {
    if (skipReason || !page) return skip()
    await page.getByRole('link', { name: 'Audit log' }).click()
    await page.getByLabel('Event type').selectOption('client_created')
    await page.getByRole('button', { name: 'Filter' }).click()
    // The unfiltered page (shown first) holds client_created too: wait for the filtered one.
    const types = () => page?.locator('table.audit tbody tr td:nth-child(2)').allTextContents()
    await expect.poll(async () => [...new Set(await types())]).toEqual(['client_created'])
    await screenshot('audit')
  })

  it('is usable from the keyboard, with visible focus, and fits a narrow window', async ({
    skip,
  }) => {
    if (skipReason || !page || !victim) return skip()
    await page.goto(`${origin}/admin/#/users/${victim.userId}`)
    await page.reload() // a fresh page: focus starts at the top
    await page.getByRole('heading', { name: victim.email }).waitFor()
    await page.keyboard.press('Tab')
    const focused = await page.evaluate(
      '[document.activeElement.textContent, getComputedStyle(document.activeElement).outlineStyle]',
    )
    expect(focused).toEqual(['Skip to content', 'solid'])
    await page.keyboard.press('Enter')
    for (let i = 0; i < 12; i++) await page.keyboard.press('Tab')
    expect(await page.evaluate('document.activeElement.tagName')).toMatch(/^(A|BUTTON|INPUT)$/)

    await page.setViewportSize({ width: 390, height: 800 })
    // Nothing wider than the window but the tables, which scroll in their own box.
    const overflow = await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    )
    expect(overflow).toBeLessThanOrEqual(0)
    await screenshot('user-narrow')
    await page.setViewportSize({ width: 1280, height: 800 })
  })

  it('signs out: the cookie is gone and a reload shows the sign-in form', async ({ skip }) => {
    if (skipReason || !page) return skip()
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor()
    await page.reload()
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor()
    expect(pageProblems).toEqual([])
  })

  it('signs an admin in with a passkey (two factors in one)', async ({ skip }) => {
    if (skipReason || !browser || !pair) return skip()
    // An admin's token with both factors (a recovery code: the TOTP steps are spent above).
    const login = await api('POST', '/auth/login', undefined, {
      email: admin.email,
      password: admin.password,
    })
    expect(login.body.code).toBe('mfa_required')
    const verified = await api('POST', '/auth/mfa/verify', undefined, {
      mfa_token: login.body.mfa_token,
      method: 'recovery_code',
      code: admin.recoveryCodes[0],
    })
    expect(verified.status).toBe(200)

    const context = await browser.newContext()
    const other = await context.newPage()
    await addVirtualAuthenticator(other, context)
    await other.goto(`${origin}/admin/`)
    // Registered through the public API from this page (the console only signs in with one).
    const registered = await other.evaluate(
      `(${REGISTER_PASSKEY})(${JSON.stringify(verified.body.access_token)})`,
    )
    expect(registered).toBe(201)
    await other.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await other.getByRole('heading', { name: 'Users' }).waitFor()
    // The admin API answered (users listed): a passkey satisfies the second-factor rule.
    await other.getByRole('link', { name: admin.email }).waitFor()
    await context.close()
  })

  it('shows a non-admin no data', async ({ skip }) => {
    if (skipReason || !browser || !pair) return skip()
    const user = await pair.userWithToken()
    const other = await browser.newPage()
    const calls: { url: string; status: number }[] = []
    other.on('response', (r) => {
      if (new URL(r.url()).pathname.startsWith('/admin/')) {
        calls.push({ url: r.url(), status: r.status() })
      }
    })
    await other.goto(`${origin}/admin/`)
    await other.getByLabel('Email').fill(user.email)
    await other.getByLabel('Password').fill(PASSWORD)
    await other.getByRole('button', { name: 'Sign in', exact: true }).click()
    await other.locator('#not-admin').waitFor()
    expect(await other.locator('table').count()).toBe(0)
    // Nothing but the page's own files was fetched under /admin/: no data call was made.
    expect(calls.every((c) => new URL(c.url).pathname.match(/^\/admin\/(console\/.*)?$/))).toBe(
      true,
    )
    // And had it asked, the API would have refused it.
    const asked = await api('GET', '/admin/users', user.token)
    expect(asked.status).toBe(403)
    await other.close()
  })
})
