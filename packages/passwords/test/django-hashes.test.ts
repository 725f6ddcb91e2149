import { describe, expect, it } from 'vitest'
import {
  djangoHashScheme,
  isUnusableDjangoPassword,
  OWASP_ARGON2,
  PasswordHasher,
  verifyDjangoHash,
} from '../src/index.js'

/**
 * Known answers made by Django 3.2's own make_password (Debian's python3-django, with
 * argon2-cffi and bcrypt; scrypt by Django 4.0's hasher, transcribed in the auth-service's
 * test/support/django_fixture.py, which makes these at every run of the import test too).
 */
const MADE_BY_DJANGO = [
  {
    hasher: 'pbkdf2_sha256',
    password: 'copper-kettle-pbkdf2',
    stored:
      'pbkdf2_sha256$260000$WHn6dAlgLoeuzB4MlB2aQ2$cdhfBWcYJJkSHU1jlDmo/1NVh3TXOEK17W84n6IaMU0=',
  },
  {
    hasher: 'pbkdf2_sha1',
    password: 'lantern-meadow-sha1',
    stored: 'pbkdf2_sha1$260000$JJ1nJWF4yL22cY9426MgGM$znJMf7ulQ6klov4pH24+pnm+SLc=',
  },
  {
    hasher: 'argon2',
    password: 'granite-argon2id-pass',
    stored:
      'argon2$argon2id$v=19$m=102400,t=2,p=8$WVJ0Z2FzZDltMmllYjlCdXNQWExiMw$+XOPvjmv0eIidiqIgdDRhQ',
  },
  {
    hasher: 'argon2',
    password: 'quartz-argon2i-pass',
    stored:
      'argon2$argon2i$v=19$m=102400,t=2,p=8$a2Z3cTViU2F0ZE5FazZDUng4azBqeQ$M4sqPSrwLzwH5tJbjPlB3Q',
  },
  {
    hasher: 'bcrypt_sha256',
    password: 'pässwörd-bcrypt-sha256-ünï',
    stored: 'bcrypt_sha256$$2b$12$.KJywEmwMy2/TuZgRMdcfepKmQxs/9gi6Aq8.eCIv2nMaCnggtS3a',
  },
  {
    hasher: 'bcrypt',
    password: 'ochre-bcrypt-plain',
    stored: 'bcrypt$$2b$12$g26H2GBVcXXDGwglgD4she0.fz7by2LIWspoLBg1twzsQt5X.IsHm',
  },
  {
    hasher: 'scrypt',
    password: 'violet-scrypt-horizon',
    stored:
      'scrypt$16384$DBXPhnrHtPOxbZyAlAOAhf$8$1$BVTJ3EY6xHGZ0fftUGuVqgMWNzcM4E2R8FdJugz/mbwYv5RMK2UZ2p0w/q28yfNMytV+Wg7fQgV3latXcrqLHg==',
  },
] as const

describe('Django password hashes', () => {
  it.each(MADE_BY_DJANGO)(
    'verifies $hasher with the parameters in the stored string',
    async (c) => {
      expect(djangoHashScheme(c.stored)).toBe(c.hasher)
      expect(await verifyDjangoHash(c.stored, c.password)).toBe(true)
      expect(await verifyDjangoHash(c.stored, `${c.password}x`)).toBe(false)
      expect(await verifyDjangoHash(c.stored, c.password.slice(0, -1))).toBe(false)
    },
  )

  it('through the hasher: valid, and always to be re-hashed as argon2id', async () => {
    const hasher = new PasswordHasher({ ...OWASP_ARGON2, memoryKib: 8192 })
    const [pbkdf2] = MADE_BY_DJANGO
    expect(await hasher.verify(pbkdf2.stored, pbkdf2.password)).toEqual({
      valid: true,
      needsRehash: true,
    })
    expect(await hasher.verify(pbkdf2.stored, 'wrong-password-here')).toEqual({
      valid: false,
      needsRehash: false,
    })
    expect(PasswordHasher.schemeOf(pbkdf2.stored)).toBe('django_pbkdf2_sha256')
    expect(PasswordHasher.schemeOf(await hasher.hash('x'))).toBe('argon2id')
  })

  it('refuses a tampered salt, iteration count or digest: the parameters are bound', async () => {
    const [pbkdf2] = MADE_BY_DJANGO
    const [alg, iterations, salt, hash] = pbkdf2.stored.split('$') as [
      string,
      string,
      string,
      string,
    ]
    const variants = [
      [alg, '259999', salt, hash],
      [alg, iterations, `${salt}A`, hash],
      [alg, iterations, salt, `A${hash.slice(1)}`],
      ['pbkdf2_sha1', iterations, salt, hash],
    ]
    for (const v of variants) {
      expect(await verifyDjangoHash(v.join('$'), pbkdf2.password)).toBe(false)
    }
  })

  it('never verifies a weak, malformed or unusable string, and never throws on one', async () => {
    const weak = 'md5$g85IlhA8mM2F8usuFAM6gt$6249d785f40a8a67032ced6ec413bb8e'
    expect(djangoHashScheme(weak)).toBeUndefined()
    expect(await verifyDjangoHash(weak, 'weak-md5-password')).toBe(false)
    for (const bad of [
      'pbkdf2_sha256$',
      'pbkdf2_sha256$0$salt$AAAA',
      'pbkdf2_sha256$99999999999$salt$cdhfBWcYJJkSHU1jlDmo/1NVh3TXOEK17W84n6IaMU0=',
      'argon2$argon2d$v=19$m=512,t=2,p=2$c2FsdHNhbHQ$aGFzaGhhc2g',
      'argon2$argon2id$v=19$m=99999999,t=2,p=8$c2FsdHNhbHQ$aGFzaGhhc2g',
      'bcrypt$$2b$12$short',
      'scrypt$16385$salt$8$1$AAAA',
      'scrypt$4194304$salt$8$1$BVTJ3EY6xHGZ0fftUGuVqgMWNzcM4E2R8FdJugz/mbwYv5RMK2UZ2p0w/q28yfNMytV+Wg7fQgV3latXcrqLHg==',
    ]) {
      expect(await verifyDjangoHash(bad, 'anything'), bad).toBe(false)
    }
    expect(isUnusableDjangoPassword('!ta6iQzzEAfyOQzpMLWNHidM2iQoSYcq3348bex3S')).toBe(true)
    expect(isUnusableDjangoPassword('')).toBe(true)
    expect(isUnusableDjangoPassword(MADE_BY_DJANGO[0].stored)).toBe(false)
  })
})
