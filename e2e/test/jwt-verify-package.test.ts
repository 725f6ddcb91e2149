/**
 * @authpair/jwt-verify as another team installs it: packed with pnpm (which writes out the
 * workspace's catalog and workspace specifiers), installed with plain npm into a scratch
 * project outside the repository, and used from there against the running auth-service: the
 * README's own example file, and the Fastify plugin through its subpath export.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Pair, startPair } from './helper.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
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
  const child = spawn(process.execPath, [script, token], {
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

describe('@authpair/jwt-verify installed from its tarball with npm', () => {
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
