/** The framework's ceiling: a bare Fastify route returning a constant, as a separate process. */
import Fastify from 'fastify'

const app = Fastify({ logger: false })
const body = { ok: true }
app.get(
  '/*',
  { schema: { response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } } },
  async () => body,
)
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) })
