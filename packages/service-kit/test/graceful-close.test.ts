import { describe, expect, it } from 'vitest'
import { createServer, problemErrors } from '../src/index.js'
import { testConfig } from './fixtures.js'

describe('graceful close', () => {
  it('lets an in-flight request finish, then refuses new connections', async () => {
    const app = createServer({ name: 'test', config: testConfig })
    await app.register(problemErrors)
    let closed = false
    app.addHook('onClose', async () => {
      closed = true
    })
    app.get('/slow', async () => {
      await new Promise((r) => setTimeout(r, 400))
      return { done: true }
    })
    const base = await app.listen({ host: '127.0.0.1', port: 0 })

    const inFlight = fetch(`${base}/slow`)
    await new Promise((r) => setTimeout(r, 50))
    const closing = app.close()

    const res = await inFlight
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ done: true })
    await closing
    expect(closed).toBe(true)
    await expect(fetch(`${base}/slow`)).rejects.toThrow()
  })
})
