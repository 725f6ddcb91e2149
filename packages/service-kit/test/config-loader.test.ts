import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { baseConfigShape, ConfigError, loadConfig, portSchema } from '../src/index.js'

const Schema = z.object({
  ...baseConfigShape,
  PORT: portSchema(3000),
  API_SECRET: z.string().min(40).optional(),
})

describe('configuration from the environment', () => {
  it('applies the defaults when nothing is set', () => {
    const config = loadConfig(Schema, {})
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: 3000,
      TRUST_PROXY: [],
      DOCS_ENABLED: true,
    })
  })

  it('treats an empty variable as unset', () => {
    expect(loadConfig(Schema, { PORT: '' }).PORT).toBe(3000)
  })

  it('fails with one line naming each bad variable and what it got', () => {
    try {
      loadConfig(Schema, { PORT: 'abc', LOG_LEVEL: 'loud' })
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      const message = (error as Error).message
      expect(message.split('\n')).toHaveLength(1)
      expect(message).toContain('PORT: must be a port number (got "abc")')
      expect(message).toContain('LOG_LEVEL:')
    }
  })

  it('never echoes a secret-looking value', () => {
    expect(() => loadConfig(Schema, { API_SECRET: 'short-secret-value' })).toThrow(
      /API_SECRET: .* \(got a value of 18 characters\)/,
    )
  })

  it('refuses TRUST_PROXY=true: only named proxies are believed', () => {
    expect(() => loadConfig(Schema, { TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY/)
    expect(loadConfig(Schema, { TRUST_PROXY: '10.0.0.0/8, 172.18.0.2' }).TRUST_PROXY).toEqual([
      '10.0.0.0/8',
      '172.18.0.2',
    ])
  })
})
