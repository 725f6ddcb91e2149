import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createServer, problemErrors } from '../src/index.js'
import { testConfig } from './fixtures.js'

const app = createServer({ name: 'test', config: testConfig })
const Profile = z.object({
  id: z.string(),
  created_at: z.iso.datetime(),
  tags: z.array(z.object({ name: z.string() })),
})

beforeAll(async () => {
  await app.register(problemErrors)
  app.get('/profile', { schema: { response: { 200: Profile } } }, async () => ({
    id: 'u1',
    created_at: '2026-11-26T00:00:00.000Z',
    tags: [{ name: 'a', internal: 'dropped' }],
    password_hash: '$argon2id$v=19$secret',
  }))
  app.get('/broken', { schema: { response: { 200: Profile } } }, async () => ({
    id: 42,
    password_hash: '$argon2id$v=19$secret',
  }))
  await app.ready()
})
afterAll(() => app.close())

describe('response serializer', () => {
  it('sends only what the response schema names, at every depth', async () => {
    const res = await app.inject({ method: 'GET', url: '/profile' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      id: 'u1',
      created_at: '2026-11-26T00:00:00.000Z',
      tags: [{ name: 'a' }],
    })
    expect(res.body).not.toContain('argon2id')
  })

  it('answers 500 internal_error, without the payload, when a handler returns the wrong shape', async () => {
    const res = await app.inject({ method: 'GET', url: '/broken' })
    expect(res.statusCode).toBe(500)
    expect(res.json().code).toBe('internal_error')
    expect(res.body).not.toContain('argon2id')
  })
})
