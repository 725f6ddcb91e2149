/**
 * Logs (issue 21): pino-pretty lines at a development terminal, one JSON object a line
 * everywhere else (piped output, production, tests).
 */
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createServer, prettyLogStream, wantsPrettyLogs } from '../src/index.js'

const config = (NODE_ENV: 'development' | 'production' | 'test') => ({ NODE_ENV })

describe('wantsPrettyLogs', () => {
  it('is pretty only in development with stdout on a terminal', () => {
    expect(wantsPrettyLogs(config('development'), { isTTY: true })).toBe(true)
    expect(wantsPrettyLogs(config('development'), { isTTY: false })).toBe(false)
    expect(wantsPrettyLogs(config('development'), {})).toBe(false)
    expect(wantsPrettyLogs(config('production'), { isTTY: true })).toBe(false)
    expect(wantsPrettyLogs(config('test'), { isTTY: true })).toBe(false)
  })
})

describe('prettyLogStream', () => {
  it('writes a readable line with the service name in front, not JSON', async () => {
    let out = ''
    const sink = new Writable({
      write(chunk, _encoding, done) {
        out += String(chunk)
        done()
      },
    })
    const app = createServer({
      name: 'auth-service',
      config: {
        NODE_ENV: 'development',
        HOST: '127.0.0.1',
        PORT: 0,
        LOG_LEVEL: 'info',
        TRUST_PROXY: [],
        DOCS_ENABLED: false,
        SHUTDOWN_GRACE_MS: 0,
        BODY_LIMIT_BYTES: 65_536,
        CORS_ORIGINS: [],
      },
      logger: {
        level: 'info',
        base: { service: 'auth-service' },
        stream: prettyLogStream(sink),
      },
    })
    app.log.info({ database: 'sqlite:/tmp/a.db' }, 'started')
    await app.close()
    expect(out).toMatch(/INFO.*auth-service: started/)
    expect(out).toContain('database: "sqlite:/tmp/a.db"')
    expect(() => JSON.parse(out.split('\n')[0] ?? '')).toThrow()
  })
})
