import { describe, expect, it } from 'vitest'
import {
  EmailSchema,
  ERROR_CODES,
  LoginBodySchema,
  PasswordSchema,
  PublicJwkSchema,
  RegisterBodySchema,
  UpdateMeBodySchema,
} from '../src/index.js'

describe('contracts', () => {
  it('normalizes an email: trimmed and lower-cased, so one mailbox is one account', () => {
    expect(EmailSchema.parse('  Ada.Lovelace@Example.COM ')).toBe('ada.lovelace@example.com')
    expect(EmailSchema.safeParse('not-an-email').success).toBe(false)
    expect(EmailSchema.safeParse(`${'a'.repeat(250)}@x.io`).success).toBe(false)
  })

  it('takes passwords of 8 to 256 characters, any characters, no composition rules', () => {
    expect(PasswordSchema.safeParse('1234567').success).toBe(false)
    expect(PasswordSchema.safeParse('correct horse battery staple').success).toBe(true)
    expect(PasswordSchema.safeParse('пароль-из-кириллицы 🔑').success).toBe(true)
    expect(PasswordSchema.safeParse('x'.repeat(257)).success).toBe(false)
  })

  it('refuses unknown fields in request bodies', () => {
    expect(
      RegisterBodySchema.safeParse({ email: 'a@b.co', password: 'long enough', role: 'admin' })
        .success,
    ).toBe(false)
    expect(UpdateMeBodySchema.safeParse({ name: 'A', email: 'x@y.z' }).success).toBe(false)
    expect(UpdateMeBodySchema.safeParse({ is_active: false }).success).toBe(false)
    expect(UpdateMeBodySchema.safeParse({ name: 'A', locale: 'ru' }).success).toBe(true)
  })

  it('lets login take a short password (the rules apply when one is set, not when one is tried)', () => {
    expect(LoginBodySchema.safeParse({ email: 'a@b.co', password: 'short' }).success).toBe(true)
  })

  it('allows only public members in a published JWK', () => {
    const base = { kty: 'RSA', kid: 'k', use: 'sig', alg: 'RS256', n: 'abc', e: 'AQAB' }
    expect(PublicJwkSchema.safeParse(base).success).toBe(true)
    expect(PublicJwkSchema.safeParse({ ...base, d: 'private' }).success).toBe(false)
    expect(PublicJwkSchema.safeParse({ ...base, kty: 'oct', k: 'secret' }).success).toBe(false)
  })

  it('keeps error codes unique snake_case', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length)
    for (const code of ERROR_CODES) expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/)
  })
})
