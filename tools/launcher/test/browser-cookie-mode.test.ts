/**
 * Cookie mode in a real browser (headless Chromium driven by playwright-core), through the real
 * nginx: a page on an allowed origin signs in with `credentials: 'include'`, refreshes with the
 * HttpOnly cookie, calls the users-service, and logs out; a page on another site cannot refresh,
 * by the browser's own CORS and SameSite rules. Needs Debian's chromium, nginx, PostgreSQL and
 * Redis; skipped loudly without them unless REQUIRE_BROWSER=1 (CI).
 */
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTestDatabase, probePostgres, type TestDatabase } from '@authpair/db/testing'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nginxAvailable, type ProdShape, startProdShape } from '../src/prod-shape.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const PASSWORD = 'browser-cookie-mode-41'
/** Another site than the gateway's 127.0.0.1: Chromium resolves it to loopback (below). */
const EVIL_HOST = 'evil.test'

let shape: ProdShape | undefined
let database: TestDatabase | undefined
let browser: Browser | undefined
let pages: Server | undefined
let appOrigin = ''
let evilOrigin = ''
let skipReason: string | undefined

/** One blank HTML page for any path: the tests run their script in it with page.evaluate. */
async function servePages(): Promise<Server> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    response.end('<!doctype html><title>app</title><p>app</p>')
  })
  server.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  return server
}

beforeAll(async () => {
  const nginx = nginxAvailable()
  const pg = await probePostgres()
  skipReason = !existsSync(CHROMIUM)
    ? `no Chromium at ${CHROMIUM} (apt-get install chromium)`
    : !nginx.ok
      ? nginx.reason
      : !pg.ok
        ? `PostgreSQL unreachable: ${pg.reason}`
        : undefined
  if (skipReason) {
    if (process.env.REQUIRE_BROWSER === '1')
      throw new Error(`the browser suite is required: ${skipReason}`)
    console.warn(`\n!!! SKIPPED: the browser (cookie mode) suite: ${skipReason}\n`)
    return
  }
  pages = await servePages()
  const port = (pages.address() as AddressInfo).port
  appOrigin = `http://127.0.0.1:${port}`
  evilOrigin = `http://${EVIL_HOST}:${port}`
  database = await createTestDatabase('postgres')
  shape = await startProdShape({
    databaseUrl: database.url,
    redisUrl: REDIS_URL,
    replicas: 1,
    env: {
      CORS_ORIGINS: appOrigin,
      RATE_LIMIT_REDIS_PREFIX: `authpair-browser-${process.pid}-${Date.now()}:`,
    },
  })
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', `--host-resolver-rules=MAP ${EVIL_HOST} 127.0.0.1`],
  })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await shape?.stop()
  await database?.drop()
  pages?.close()
})

interface FetchResult {
  ok: boolean
  status?: number
  body?: Record<string, unknown> | null
  error?: string
}

/** fetch() run by the page itself, so the browser applies CORS and its cookie rules. */
function pageFetch(
  page: Page,
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
): Promise<FetchResult> {
  return page.evaluate(
    async ({ url, init }) => {
      try {
        const response = await fetch(url, { ...init, credentials: 'include' })
        const text = await response.text()
        return { ok: true, status: response.status, body: text ? JSON.parse(text) : null }
      } catch (error) {
        return { ok: false, error: String(error) }
      }
    },
    { url, init },
  )
}

describe('cookie mode in a real browser, through nginx', () => {
  let app: Page
  let gateway = ''
  const email = `browser-${Date.now()}@example.com`

  it('signs in from the allowed origin: the refresh token is only in an HttpOnly cookie', async (ctx) => {
    if (skipReason || !shape || !browser) return ctx.skip()
    gateway = shape.gatewayUrl
    const registered = await fetch(`${gateway}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    })
    expect(registered.status).toBe(201)

    app = await (await browser.newContext()).newPage()
    await app.goto(`${appOrigin}/app`)
    const login = await pageFetch(app, `${gateway}/auth/login?token_delivery=cookie`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    })
    expect(login.ok, login.error).toBe(true)
    expect(login.status).toBe(200)
    expect(login.body?.access_token).toEqual(expect.any(String))
    expect(login.body).not.toHaveProperty('refresh_token')

    const cookies = await app.context().cookies()
    const refresh = cookies.filter((c) => c.name === 'authpair_refresh')
    expect(refresh.map((c) => c.path).sort()).toEqual(['/auth/logout', '/auth/token'])
    for (const cookie of refresh) {
      expect(cookie.httpOnly).toBe(true)
      expect(cookie.sameSite).toBe('Strict')
    }
    // Script cannot read it, on its own origin or any other.
    expect(await app.evaluate('document.cookie')).toBe('')
  })

  it('refreshes with credentials: include, and the new access token works at the users-service', async (ctx) => {
    if (skipReason || !app) return ctx.skip()
    const refreshed = await pageFetch(app, `${gateway}/auth/token/refresh?token_delivery=cookie`, {
      method: 'POST',
      headers: { 'x-requested-with': 'fetch' },
    })
    expect(refreshed.ok, refreshed.error).toBe(true)
    expect(refreshed.status).toBe(200)
    expect(refreshed.body).not.toHaveProperty('refresh_token')
    const me = await pageFetch(app, `${gateway}/users/me`, {
      method: 'GET',
      headers: { authorization: `Bearer ${refreshed.body?.access_token}` },
    })
    expect(me.ok, me.error).toBe(true)
    expect(me.status).toBe(200)
    expect(me.body?.email).toBe(email)
  })

  it('lets a page on another site neither read a refresh (CORS) nor use the cookie (SameSite)', async (ctx) => {
    if (skipReason || !app) return ctx.skip()
    // Another tab of the same browser (the victim's cookie jar), on another site.
    const evil = await app.context().newPage()
    await evil.goto(`${evilOrigin}/evil`)
    const read = await pageFetch(evil, `${gateway}/auth/token/refresh?token_delivery=cookie`, {
      method: 'POST',
      headers: { 'x-requested-with': 'fetch' },
    })
    // The preflight finds no Access-Control-Allow-Origin for this origin: fetch rejects.
    expect(read.ok).toBe(false)
    expect(read.error).toMatch(/TypeError|Failed to fetch/)

    // A cross-site form needs no preflight and may post form-encoded, which the token endpoint
    // takes. The browser sends it, but without the Strict cookie: the service sees no cookie
    // at all, rather than a cookie from a wrong origin (which it would refuse too).
    await evil.setContent(
      `<form method="post" action="${gateway}/auth/token?token_delivery=cookie">` +
        '<input name="grant_type" value="refresh_token"></form>',
    )
    const [response] = await Promise.all([
      evil.waitForResponse((r) => r.url().includes('/auth/token')),
      evil.evaluate("document.querySelector('form').submit()"),
    ])
    expect(response.request().headers().origin).toBe(evilOrigin)
    expect(response.status()).toBe(400)
    const answer = await response.json()
    expect(answer.error).toBe('invalid_request')
    expect(answer.error_description).toMatch(/no refresh cookie/)
    await evil.close()

    // The session is untouched: the app still refreshes.
    const still = await pageFetch(app, `${gateway}/auth/token/refresh?token_delivery=cookie`, {
      method: 'POST',
      headers: { 'x-requested-with': 'fetch' },
    })
    expect(still.status).toBe(200)
  })

  it('logs out by cookie: the browser drops it and a refresh is refused', async (ctx) => {
    if (skipReason || !app) return ctx.skip()
    const out = await pageFetch(app, `${gateway}/auth/logout?token_delivery=cookie`, {
      method: 'POST',
      headers: { 'x-requested-with': 'fetch' },
    })
    expect(out.ok, out.error).toBe(true)
    expect(out.status).toBe(204)
    const left = (await app.context().cookies()).filter((c) => c.name === 'authpair_refresh')
    expect(left).toEqual([])
    const after = await pageFetch(app, `${gateway}/auth/token/refresh?token_delivery=cookie`, {
      method: 'POST',
      headers: { 'x-requested-with': 'fetch' },
    })
    expect(after.status).toBe(401)
  })
})
