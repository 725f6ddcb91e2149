/**
 * @authpair/jwt-verify as another team installs it: packed with pnpm (which writes out the
 * workspace's catalog and workspace specifiers), installed with plain npm into a scratch
 * project outside the repository, and used from there against the running auth-service: the
 * README's own example file, and the Fastify plugin through its subpath export.
 *
 * The scratch project runs on JWT_VERIFY_CONSUMER_NODE when it is set (a path to a node binary),
 * else on this Node: the package promises older Nodes than the repository runs on (its engines,
 * docs/decisions.md), and CI sets it to the oldest one, so that promise is tested, not assumed.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD, type Pair, startPair } from './helper.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const consumerNode = process.env.JWT_VERIFY_CONSUMER_NODE || process.execPath
const consumerNodeVersion = execFileSync(consumerNode, ['-p', 'process.version'], {
  encoding: 'utf8',
}).trim()
const readme = readFileSync(join(root, 'packages/jwt-verify/README.md'), 'utf8')

/** The code block that follows `<!-- example: NAME -->` in the README. */
function readmeExample(name: string): string {
  const marker = `<!-- example: ${name} -->`
  const at = readme.indexOf(marker)
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(at))
  if (at < 0 || !block?.[1]) throw new Error(`the README has no example ${name}`)
  return block[1]
}

const PLUGIN_CHECK = `
import Fastify from 'fastify'
import { jwtVerifyPlugin } from '@authpair/jwt-verify/fastify'

const app = Fastify()
await app.register(jwtVerifyPlugin, {
  jwksUrl: process.env.AUTH_URL + '/.well-known/jwks.json',
  issuer: process.env.ISSUER,
  audience: 'authpair-api',
})
app.get('/me', { preHandler: app.requireUser }, async (request) => ({ id: request.user.userId }))
const ok = await app.inject({ url: '/me', headers: { authorization: 'Bearer ' + process.argv[2] } })
const none = await app.inject({ url: '/me' })
console.log(JSON.stringify({ ok: [ok.statusCode, ok.json()], none: none.statusCode }))
await app.close()
`

let pair: Pair
let scratch: string
let issuer: string

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'jwt-verify-consumer-'))
  const packDir = join(scratch, 'pack')
  mkdirSync(packDir)
  execFileSync(
    'pnpm',
    ['--filter', '@authpair/jwt-verify', 'pack', '--pack-destination', packDir],
    {
      cwd: root,
      stdio: 'pipe',
    },
  )
  const tarball = readdirSync(packDir).find((f) => f.endsWith('.tgz'))
  if (!tarball) throw new Error('pnpm pack made no tarball')
  const app = join(scratch, 'app')
  mkdirSync(app)
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  )
  const install = spawnSync(
    'npm',
    ['install', '--no-audit', '--no-fund', join(packDir, tarball), 'fastify@^5'],
    { cwd: app, encoding: 'utf8' },
  )
  if (install.status !== 0) throw new Error(`npm install failed: ${install.stderr}`)
  writeFileSync(join(app, 'check-token.mjs'), readmeExample('check-token.mjs'))
  writeFileSync(join(app, 'plugin-check.mjs'), PLUGIN_CHECK)
  pair = await startPair()
  const discovery = await fetch(`${pair.authUrl}/.well-known/openid-configuration`)
  issuer = ((await discovery.json()) as { issuer: string }).issuer
}, 180_000)

afterAll(async () => {
  await pair?.close()
  if (scratch) rmSync(scratch, { recursive: true, force: true })
})

/** Runs a script of the scratch project; asynchronously, since the services run in this process. */
async function runInScratch(script: string, token: string) {
  const child = spawn(consumerNode, [script, token], {
    cwd: join(scratch, 'app'),
    env: { PATH: process.env.PATH ?? '', AUTH_URL: pair.authUrl, ISSUER: issuer },
    timeout: 15_000,
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk) => {
    out += chunk
  })
  child.stderr.on('data', (chunk) => {
    err += chunk
  })
  const [status] = (await once(child, 'close')) as [number | null]
  return { status, out: out.trim(), err }
}

describe(`@authpair/jwt-verify installed from its tarball with npm, on Node ${consumerNodeVersion}`, () => {
  it('packs no workspace or catalog specifier, and ships types for both entry points', () => {
    const manifest = JSON.parse(
      readFileSync(join(scratch, 'app/node_modules/@authpair/jwt-verify/package.json'), 'utf8'),
    )
    expect(manifest.private).toBeUndefined()
    expect(JSON.stringify(manifest.dependencies)).not.toMatch(/workspace:|catalog:/)
    expect(JSON.stringify(manifest.peerDependencies)).not.toMatch(/workspace:|catalog:/)
    for (const entry of ['.', './fastify']) {
      const types = manifest.exports[entry].types
      expect(
        readFileSync(join(scratch, 'app/node_modules/@authpair/jwt-verify', types), 'utf8'),
      ).toMatch(/^export /m)
    }
  })

  it('runs the README example: a user token, a client token, and a refusal', async () => {
    const user = await pair.userWithToken('admin')
    const verified = await runInScratch('check-token.mjs', user.token)
    expect(verified.status, verified.out + verified.err).toBe(0)
    expect(JSON.parse(verified.out)).toEqual({ kind: 'user', userId: user.userId, role: 'admin' })

    const client = await runInScratch(
      'check-token.mjs',
      await pair.clientToken({ clientId: 'reports', scope: 'users:read' }),
    )
    expect(JSON.parse(client.out)).toEqual({
      kind: 'client',
      clientId: 'reports',
      scopes: ['users:read'],
    })

    const refused = await runInScratch('check-token.mjs', `${user.token.slice(0, -4)}AAAA`)
    expect(refused.status).toBe(1)
    expect(JSON.parse(refused.out)).toEqual({ refused: 'signature_invalid' })
  })

  it('serves the Fastify plugin from its subpath export', async () => {
    const user = await pair.userWithToken()
    const run = await runInScratch('plugin-check.mjs', user.token)
    expect(run.status, run.err).toBe(0)
    expect(JSON.parse(run.out)).toEqual({ ok: [200, { id: user.userId }], none: 401 })
  })
})

/** A service of another team: the packed package, following the revocation feed. */
const SCRATCH_SERVICE = `
import Fastify from 'fastify'
import { jwtVerifyPlugin } from '@authpair/jwt-verify/fastify'

const app = Fastify()
await app.register(jwtVerifyPlugin, {
  jwksUrl: process.env.AUTH_URL + '/.well-known/jwks.json',
  issuer: process.env.ISSUER,
  audience: 'authpair-api',
  revocation: { url: process.env.AUTH_URL + '/revocations' },
})
app.get('/me', { preHandler: app.requireUser }, async (request) => ({ id: request.user.userId }))
await app.jwtVerifier.revocations.ready
console.log(await app.listen({ host: '127.0.0.1', port: 0 }))
process.on('SIGTERM', () => app.close().then(() => process.exit(0)))
`

describe(`revocation reaches a service that installed the package, on Node ${consumerNodeVersion}`, () => {
  let service: ChildProcess | undefined
  let serviceUrl = ''
  const delays: Record<string, number[]> = {}

  beforeAll(async () => {
    writeFileSync(join(scratch, 'app/service.mjs'), SCRATCH_SERVICE)
    service = spawn(consumerNode, ['service.mjs'], {
      cwd: join(scratch, 'app'),
      env: { PATH: process.env.PATH ?? '', AUTH_URL: pair.authUrl, ISSUER: issuer },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    serviceUrl = await new Promise<string>((resolve, reject) => {
      service?.stdout?.once('data', (chunk) => resolve(String(chunk).trim()))
      service?.once('exit', (code) => reject(new Error(`the scratch service exited (${code})`)))
    })
  }, 30_000)

  afterAll(async () => {
    if (service && service.exitCode === null) {
      service.kill('SIGTERM')
      await once(service, 'exit')
    }
    const all = Object.values(delays).flat()
    if (all.length > 0) {
      const sorted = [...all].sort((a, b) => a - b)
      const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
      console.log(
        `[revocation] event → 401 at a scratch service (packed jwt-verify, feed long poll): ` +
          `${all.length} events, p50 ${pick(0.5)?.toFixed(0)} ms, p99 ${pick(0.99)?.toFixed(0)} ms, ` +
          `max ${sorted.at(-1)?.toFixed(0)} ms; by event: ${Object.entries(delays)
            .map(([name, list]) => `${name} ${Math.max(...list).toFixed(0)} ms max`)
            .join(', ')}`,
      )
    }
  })

  const me = (token: string) =>
    fetch(`${serviceUrl}/me`, { headers: { authorization: `Bearer ${token}` } })

  /** Runs `event`, then asks the service until it refuses `token`: the delay, in ms. */
  async function delayUntilRefused(token: string, event: () => Promise<void>): Promise<number> {
    expect((await me(token)).status).toBe(200)
    await event()
    const start = performance.now()
    for (;;) {
      const status = (await me(token)).status
      const elapsed = performance.now() - start
      if (status === 401) return elapsed
      expect(status).toBe(200)
      if (elapsed > 5000) throw new Error('the revoked token was still accepted after 5 s')
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  const as = (token: string) => ({ authorization: `Bearer ${token}` })
  const ROUNDS = 5
  const events: Record<
    string,
    (victim: Awaited<ReturnType<Pair['userWithToken']>>) => Promise<void>
  > = {
    'logout-all': async (victim) => {
      const res = await pair.auth.inject({
        method: 'POST',
        url: '/auth/logout-all',
        headers: as(victim.token),
      })
      expect(res.statusCode).toBe(204)
    },
    'password change from another session': async (victim) => {
      const other = await pair.auth.accounts.login(
        { email: victim.email, password: PASSWORD },
        { ip: '127.0.0.1', userAgent: 'vitest', requestId: 'r' },
      )
      const res = await pair.auth.inject({
        method: 'POST',
        url: '/auth/password/change',
        headers: as(other.access_token),
        payload: { current_password: PASSWORD, new_password: `${PASSWORD}-changed` },
      })
      expect(res.statusCode).toBe(204)
    },
    'admin revocation': async (victim) => {
      const admin = await pair.userWithToken('admin')
      const res = await pair.auth.inject({
        method: 'DELETE',
        url: `/admin/auth/users/${victim.userId}/sessions`,
        headers: as(admin.token),
      })
      expect(res.statusCode).toBe(204)
    },
    'deactivation at the users-service': async (victim) => {
      const admin = await pair.userWithToken('admin')
      const res = await pair.users.inject({
        method: 'PATCH',
        url: `/admin/users/${victim.userId}`,
        headers: as(admin.token),
        payload: { is_active: false },
      })
      expect(res.statusCode).toBe(200)
    },
  }

  for (const [name, event] of Object.entries(events)) {
    it(`refuses the old access token after ${name}`, async (ctx) => {
      if (!service) return ctx.skip()
      for (let round = 0; round < ROUNDS; round++) {
        const victim = await pair.userWithToken()
        const delay = await delayUntilRefused(victim.token, () => event(victim))
        delays[name] = [...(delays[name] ?? []), delay]
      }
      // A token of another user is untouched.
      const bystander = await pair.userWithToken()
      expect((await me(bystander.token)).status).toBe(200)
    })
  }
})
