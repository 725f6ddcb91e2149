/**
 * A passkey from end to end: in headless Chromium with the DevTools protocol's virtual
 * authenticator, a user signs in with a password on the auth-service's example page, adds a
 * passkey, signs out, signs in with it usernameless, and the access token that sign-in gave
 * reaches GET /users/me on the users-service (which verifies it through the auth-service's
 * JWKS). Everything goes through the development gateway (`pnpm start`'s stand-in for nginx) at
 * http://localhost:<port>, the issuer's origin (WebAuthn needs a secure context).
 * Skipped loudly without Chromium unless REQUIRE_BROWSER=1 (CI).
 */
import { buildGateway } from '@authpair/launcher/gateway'
import { freePort } from '@authpair/service-kit/testing'
import type { FastifyInstance } from 'fastify'
import { decodeJwt } from 'jose'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD, type Pair, startPair } from './helper.js'
import { addVirtualAuthenticator, browserSkipReason, launchChromium } from './support/chromium.js'

let pair: Pair | undefined
let gateway: FastifyInstance | undefined
let browser: Browser | undefined
let origin = ''
let gatewayUrl = ''
let skipReason: string | undefined

beforeAll(async () => {
  skipReason = browserSkipReason('the browser (passkeys end to end) suite')
  if (skipReason) return
  const port = await freePort()
  origin = `http://localhost:${port}`
  gatewayUrl = `http://127.0.0.1:${port}`
  pair = await startPair({ ISSUER: origin }, { authEnv: { ISSUER: origin } })
  const usersUrl = await pair.users.listen({ host: '127.0.0.1', port: 0 })
  gateway = await buildGateway({
    authUpstream: pair.authUrl,
    usersUpstream: usersUrl,
    adminAllowIps: ['127.0.0.1'],
  })
  await gateway.listen({ host: '127.0.0.1', port })
  browser = await launchChromium()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await gateway?.close()
  await pair?.close()
})

describe('a passkey sign-in in Chromium, through the gateway', () => {
  it('gives a token that reaches GET /users/me', async ({ skip }) => {
    if (skipReason || !pair || !browser) return skip()
    const { email, userId } = await pair.userWithToken()
    const page = await browser.newPage()
    await addVirtualAuthenticator(page)
    const waitFor = (text: RegExp) =>
      page.locator('#status', { hasText: text }).waitFor({ timeout: 15_000 })
    await page.goto(`${origin}/auth/passkeys/example/`)
    await page.fill('#email', email)
    await page.fill('#password', PASSWORD)
    await page.click('#password-sign-in')
    await waitFor(/^signed in \(password\)$/)
    await page.click('#register')
    await waitFor(/^passkey added$|^error/)
    expect(await page.textContent('#status')).toBe('passkey added')
    await page.click('#sign-out')
    await waitFor(/^signed out$/)
    await page.click('#passkey-sign-in')
    await waitFor(/^signed in \(passkey\)$|^error/)
    expect(await page.textContent('#status')).toBe('signed in (passkey)')
    const token = JSON.parse((await page.textContent('#result')) ?? '{}').access_token
    expect(decodeJwt(token).amr).toContain('mfa')
    const me = await fetch(`${gatewayUrl}/users/me`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(me.status).toBe(200)
    expect(((await me.json()) as { id: string }).id).toBe(userId)
  })
})
