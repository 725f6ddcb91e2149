/**
 * Local servers that answer like GitHub's and Yandex's OAuth endpoints and APIs, over real
 * HTTP. They enforce what the real ones do that matters here: the client secret, single-use
 * codes, PKCE S256 (GitHub supports it; we send it to both), and Yandex's client_id in user info.
 */
import { createHash, randomBytes } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'

export interface MockUser {
  id: string
  name: string
  /** GitHub: the /user/emails list. Yandex: default_email is the first. */
  emails: { email: string; primary: boolean; verified: boolean }[]
}

export interface ProviderMock {
  url: string
  clientId: string
  clientSecret: string
  /** Who signs in next. */
  user: MockUser
  /** Answer the next authorize with ?error=access_denied. */
  denyNext: boolean
  /** Yandex: report this client_id in user info instead of ours. */
  userInfoClientId: string | undefined
  /** Issues a code for a PKCE challenge, as if some browser had authorized. */
  codeFor(challenge: string): string
  close(): Promise<void>
}

export async function startProviderMock(kind: 'github' | 'yandex'): Promise<ProviderMock> {
  const app: FastifyInstance = Fastify()
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  )
  const codes = new Map<string, { challenge: string; user: MockUser }>()
  const tokens = new Map<string, MockUser>()
  const state: ProviderMock = {
    url: '',
    clientId: `${kind}-client`,
    clientSecret: `${kind}-secret`,
    user: { id: '1', name: 'Someone', emails: [] },
    denyNext: false,
    userInfoClientId: undefined,
    codeFor(challenge) {
      const code = randomBytes(16).toString('hex')
      codes.set(code, { challenge, user: state.user })
      return code
    },
    close: () => app.close(),
  }

  const authorizePath = kind === 'github' ? '/login/oauth/authorize' : '/authorize'
  const tokenPath = kind === 'github' ? '/login/oauth/access_token' : '/token'

  app.get(authorizePath, async (request, reply) => {
    const q = request.query as Record<string, string>
    const back = new URL(q.redirect_uri ?? '')
    back.searchParams.set('state', q.state ?? '')
    if (state.denyNext) {
      state.denyNext = false
      back.searchParams.set('error', 'access_denied')
    } else {
      if (q.client_id !== state.clientId || q.code_challenge_method !== 'S256') {
        return reply.code(400).send({ error: 'invalid_request' })
      }
      back.searchParams.set('code', state.codeFor(q.code_challenge ?? ''))
    }
    return reply.redirect(back.toString(), 302)
  })

  app.post(tokenPath, async (request, reply) => {
    const body = request.body as Record<string, string>
    const fail = (error: string) =>
      // GitHub answers errors with 200 and an error field; Yandex with 400.
      reply.code(kind === 'github' ? 200 : 400).send({ error })
    if (body.client_id !== state.clientId || body.client_secret !== state.clientSecret) {
      return fail('invalid_client')
    }
    const grant = codes.get(body.code ?? '')
    codes.delete(body.code ?? '')
    if (!grant) return fail('invalid_grant')
    const expected = createHash('sha256')
      .update(body.code_verifier ?? '')
      .digest('base64url')
    if (!body.code_verifier || expected !== grant.challenge) return fail('invalid_grant')
    const token = randomBytes(16).toString('hex')
    tokens.set(token, grant.user)
    return { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' }
  })

  const userFor = (header: string | undefined, scheme: string) => {
    const token = header?.startsWith(`${scheme} `) ? header.slice(scheme.length + 1) : undefined
    return token ? tokens.get(token) : undefined
  }

  if (kind === 'github') {
    app.get('/user', async (request, reply) => {
      const user = userFor(request.headers.authorization, 'Bearer')
      if (!user) return reply.code(401).send({ message: 'Bad credentials' })
      return { id: Number(user.id), login: `login${user.id}`, name: user.name }
    })
    app.get('/user/emails', async (request, reply) => {
      const user = userFor(request.headers.authorization, 'Bearer')
      if (!user) return reply.code(401).send({ message: 'Bad credentials' })
      return user.emails.map((e) => ({ ...e, visibility: 'private' }))
    })
  } else {
    app.get('/info', async (request, reply) => {
      const user = userFor(request.headers.authorization, 'OAuth')
      if (!user) return reply.code(401).send({ error: 'unauthorized' })
      return {
        id: user.id,
        login: `login${user.id}`,
        client_id: state.userInfoClientId ?? state.clientId,
        real_name: user.name,
        default_email: user.emails[0]?.email,
        emails: user.emails.map((e) => e.email),
      }
    })
  }

  state.url = await app.listen({ host: '127.0.0.1', port: 0 })
  return state
}
