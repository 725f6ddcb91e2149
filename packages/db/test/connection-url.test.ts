import { describe, expect, it } from 'vitest'
import { DatabaseUrlError, parseDatabaseUrl, redactDatabaseUrl } from '../src/connection-url.js'

describe('DATABASE_URL picks the dialect', () => {
  it('is SQLite under ./data/ when unset or empty', () => {
    expect(parseDatabaseUrl(undefined, '/srv/app')).toEqual({
      dialect: 'sqlite',
      path: '/srv/app/data/authpair.db',
    })
    expect(parseDatabaseUrl('  ', '/srv/app')).toEqual(parseDatabaseUrl(undefined, '/srv/app'))
  })

  it('is SQLite in DATA_DIR when unset and a data directory is given (the KEK lives there too)', () => {
    expect(parseDatabaseUrl(undefined, '/srv/app', 'state')).toEqual({
      dialect: 'sqlite',
      path: '/srv/app/state/authpair.db',
    })
    expect(parseDatabaseUrl('', '/srv/app', '/var/lib/authpair')).toEqual({
      dialect: 'sqlite',
      path: '/var/lib/authpair/authpair.db',
    })
    expect(parseDatabaseUrl(undefined, '/srv/app', '  ')).toEqual(
      parseDatabaseUrl(undefined, '/srv/app'),
    )
    // a DATABASE_URL that is set wins over DATA_DIR
    expect(parseDatabaseUrl('./x.db', '/srv/app', 'state')).toEqual({
      dialect: 'sqlite',
      path: '/srv/app/x.db',
    })
  })

  it('is PostgreSQL for postgres:// and postgresql://', () => {
    expect(parseDatabaseUrl('postgres://u:p@db:5432/auth').dialect).toBe('postgres')
    expect(parseDatabaseUrl('postgresql://db/auth').dialect).toBe('postgres')
  })

  it('is SQLite for a path, relative paths resolved against the working directory', () => {
    expect(parseDatabaseUrl('./x/y.db', '/srv')).toEqual({ dialect: 'sqlite', path: '/srv/x/y.db' })
    expect(parseDatabaseUrl('/var/lib/a.db')).toEqual({ dialect: 'sqlite', path: '/var/lib/a.db' })
    expect(parseDatabaseUrl('sqlite:./a.db', '/srv')).toEqual({
      dialect: 'sqlite',
      path: '/srv/a.db',
    })
    expect(parseDatabaseUrl('file:/tmp/a.db')).toEqual({ dialect: 'sqlite', path: '/tmp/a.db' })
  })

  it('refuses other schemes instead of creating a file named after them', () => {
    expect(() => parseDatabaseUrl('mysql://db/auth')).toThrow(DatabaseUrlError)
    expect(() => parseDatabaseUrl('mysql://db/auth')).toThrow(/scheme "mysql" is not supported/)
  })

  it('refuses a postgres URL it cannot parse or that has no host', () => {
    expect(() => parseDatabaseUrl('postgres://')).toThrow(DatabaseUrlError)
    expect(() => parseDatabaseUrl('postgres://[bad')).toThrow(DatabaseUrlError)
  })

  it('never prints the password', () => {
    const text = redactDatabaseUrl(parseDatabaseUrl('postgres://app:s3cret@db:5432/auth'))
    expect(text).not.toContain('s3cret')
    expect(text).toContain('***')
  })
})
