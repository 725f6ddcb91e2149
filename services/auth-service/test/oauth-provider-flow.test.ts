/**
 * The seam with @fastify/oauth2 (src/oauth/provider-flow.ts): its cookies never reach the
 * browser, which carries our one sealed flow cookie only, and a token endpoint that misbehaves
 * (an HTML page, a 500, `null`, no answer at all) ends the sign-in with ?error=provider_error at
 * the client, never with a 5xx or a hung callback. GitHub's authorize step is the local mock;
 * its token endpoint is a server that answers as each test says.
 */
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLIENT, type OAuthHarness, startOAuthHarness } from './support/oauth-harness.js'

type Answer = (res: ServerResponse) => void
let answer: Answer = (res) => res.end()
let tokenRequests = 0
let tokenServer: Server
let h: OAuthHarness

beforeAll(async () => {
  tokenServer = createServer((req, res) => {
    tokenRequests++
    req.resume()
    req.on('end', () => answer(res))
  })
  await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve))
  const { port } = tokenServer.address() as AddressInfo
  h = await startOAuthHarness({ GITHUB_TOKEN_URL: `http://127.0.0.1:${port}/token` })
})
afterAll(async () => {
  await h?.close()
  tokenServer?.closeAllConnections()
  await new Promise((resolve) => tokenServer?.close(resolve))
})

async function signInAnswering(reply: Answer): Promise<URL> {
  answer = reply
  const before = tokenRequests
  h.github.user = { id: '4242', name: 'T', emails: [] }
  const started = await h.start('github', { state: 'app-state' })
  const back = await h.callback(await h.atProvider(started), started.cookie)
  expect(tokenRequests).toBe(before + 1)
  return back
}

describe('the flow cookie', () => {
  it('is the only cookie /authorize sets: none of the plugin’s state or verifier cookies', async () => {
    const res = await h.t.app.inject({
      method: 'GET',
      url: `/auth/oauth/github/authorize?redirect_uri=${encodeURIComponent(CLIENT)}`,
    })
    expect(res.statusCode).toBe(302)
    const setCookie = res.headers['set-cookie']
    expect(typeof setCookie).toBe('string')
    expect(String(setCookie)).toMatch(/^authpair_oauth=[\w.-]+; Max-Age=600; Path=\/auth\/oauth;/)
    expect(String(setCookie)).not.toMatch(/oauth2-|code_verifier|state=/)
  })
})

describe('a token endpoint that misbehaves', () => {
  it.each<[string, Answer]>([
    ['an HTML page', (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>hi')],
    ['a 500', (res) => res.writeHead(500, { 'content-type': 'application/json' }).end('{}')],
    ['JSON null', (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('null')],
    [
      'no access_token',
      (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"a":1}'),
    ],
    ['a redirect', (res) => res.writeHead(302, { location: 'http://127.0.0.1:9/' }).end()],
  ])('%s: ?error=provider_error with the app’s state', async (_what, reply) => {
    const back = await signInAnswering(reply)
    expect(back.origin + back.pathname).toBe(CLIENT)
    expect(back.searchParams.get('error')).toBe('provider_error')
    expect(back.searchParams.get('state')).toBe('app-state')
  })

  it('that never answers: provider_error once the request times out, not a hung callback', async () => {
    const startedAt = Date.now()
    const back = await signInAnswering(() => {}) // holds the request open
    expect(back.searchParams.get('error')).toBe('provider_error')
    // 5 s for the answer's head (provider-flow.ts), with room for a busy machine
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(4_900)
    expect(Date.now() - startedAt).toBeLessThan(15_000)
  })
})
