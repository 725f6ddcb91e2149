/**
 * The defaults that follow another variable (issue 21): ISSUER from GATEWAY_PORT, the embedded
 * database from DATA_DIR. An explicit value always wins.
 */
import { describe, expect, it } from 'vitest'
import { withDerivedDefaults } from '../src/index.js'

describe('withDerivedDefaults', () => {
  it('names the gateway of pnpm start as the issuer: port 8080 with nothing set', () => {
    expect(withDerivedDefaults({}).ISSUER).toBe('http://localhost:8080')
    expect(withDerivedDefaults({ GATEWAY_PORT: '' }).ISSUER).toBe('http://localhost:8080')
  })

  it('moves the issuer with GATEWAY_PORT, and never overrides an ISSUER that is set', () => {
    expect(withDerivedDefaults({ GATEWAY_PORT: '9090' }).ISSUER).toBe('http://localhost:9090')
    expect(
      withDerivedDefaults({ GATEWAY_PORT: '9090', ISSUER: 'https://auth.example.com' }).ISSUER,
    ).toBe('https://auth.example.com')
  })

  it('leaves a GATEWAY_PORT that is no port to the schema, deriving nothing from it', () => {
    expect(withDerivedDefaults({ GATEWAY_PORT: 'abc' }).ISSUER).toBeUndefined()
    expect(withDerivedDefaults({ GATEWAY_PORT: '70000' }).ISSUER).toBeUndefined()
  })

  it('puts the embedded database in DATA_DIR, beside the key-encryption key', () => {
    expect(withDerivedDefaults({}).DATABASE_URL).toBe('./data/authpair.db')
    expect(withDerivedDefaults({ DATA_DIR: '/srv/authpair' }).DATABASE_URL).toBe(
      '/srv/authpair/authpair.db',
    )
    expect(withDerivedDefaults({ DATA_DIR: 'var/state' }).DATABASE_URL).toBe(
      './var/state/authpair.db',
    )
    expect(
      withDerivedDefaults({ DATA_DIR: '/srv/a', DATABASE_URL: 'postgres://db/auth' }).DATABASE_URL,
    ).toBe('postgres://db/auth')
  })

  it('returns a copy: the environment it was given is not changed', () => {
    const env = { GATEWAY_PORT: '9090' }
    withDerivedDefaults(env)
    expect(env).toEqual({ GATEWAY_PORT: '9090' })
  })
})
