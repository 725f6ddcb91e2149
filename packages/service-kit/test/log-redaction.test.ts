/**
 * Request logs carry no credential: an OAuth provider's code and state in a callback URL, a
 * token in a query string, an Authorization header, a password in a body.
 */
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createServer } from '../src/index.js'
import { testConfig } from './fixtures.js'

function capture() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk))
      done()
    },
  })
  return { lines, logger: { level: 'info', stream } }
}

describe('request logs', () => {
  it('redact the provider’s code and state from a callback URL, and keep the rest', async () => {
    const { lines, logger } = capture()
    const app = createServer({ name: 'test', config: testConfig, logger })
    app.get('/auth/oauth/:provider/callback', async () => ({ ok: true }))
    const res = await app.inject({
      method: 'GET',
      url: '/auth/oauth/github/callback?code=provider-code-123&state=flow-state-456&lang=en',
      headers: { authorization: 'Bearer header-token-789' },
    })
    expect(res.statusCode).toBe(200)
    const log = lines.join('')
    expect(log).toContain(
      '"url":"/auth/oauth/github/callback?code=[redacted]&state=[redacted]&lang=en"',
    )
    for (const secret of ['provider-code-123', 'flow-state-456', 'header-token-789']) {
      expect(log).not.toContain(secret)
    }
    await app.close()
  })

  it('redact every credential-bearing parameter, however it is spelled', async () => {
    const { lines, logger } = capture()
    const app = createServer({ name: 'test', config: testConfig, logger })
    app.get('/x', async () => ({ ok: true }))
    await app.inject({
      method: 'GET',
      url: '/x?Token=secret-t1&code_verifier=secret-v2&%63ode=secret-c3&access_token=secret-a4&keep=k-5',
    })
    const log = lines.join('')
    for (const secret of ['secret-t1', 'secret-v2', 'secret-c3', 'secret-a4']) {
      expect(log).not.toContain(secret)
    }
    expect(log).toContain('keep=k-5')
    await app.close()
  })
})
