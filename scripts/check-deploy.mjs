#!/usr/bin/env node
/**
 * The Docker images cannot be built here (no Docker engine), so CI runs the step their build
 * stage runs — `pnpm --filter <service> deploy --prod` — and starts each service from that
 * output alone, in an empty directory, until /health and /ready answer. The output must hold
 * only production dependencies.
 */
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const work = mkdtempSync(join(tmpdir(), 'authpair-deploy-'))
const services = [
  { name: 'auth-service', port: 39101 },
  { name: 'users-service', port: 39102 },
]
let failed = false
try {
  const database = join(work, 'db', 'authpair.db')
  for (const { name, port } of services) {
    const out = join(work, name)
    execFileSync('pnpm', ['--filter', `@authpair/${name}`, 'deploy', '--prod', out], {
      stdio: 'inherit',
    })
    for (const devOnly of ['vitest', 'typescript', '@biomejs/biome', 'tsx']) {
      if (existsSync(join(out, 'node_modules', devOnly)))
        throw new Error(`${name}: ${devOnly} in the production output`)
    }
    if (name === 'auth-service') {
      // the image's one-shot migration job
      execFileSync(process.execPath, [join(out, 'dist/cli/manage.js'), 'migrate'], {
        env: { PATH: process.env.PATH, DATABASE_URL: database },
        stdio: 'inherit',
      })
    }
    const child = spawn(process.execPath, [join(out, 'dist/server.js')], {
      cwd: mkdtempSync(join(work, 'cwd-')),
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        DATABASE_URL: database,
        LOG_LEVEL: 'warn',
        JWKS_URL: 'http://127.0.0.1:39101/auth/.well-known/jwks.json',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    let ok = false
    for (let i = 0; i < 100 && !ok; i++) {
      await new Promise((r) => setTimeout(r, 100))
      ok = await fetch(`http://127.0.0.1:${port}/ready`).then(
        (r) => r.ok,
        () => false,
      )
    }
    child.kill('SIGTERM')
    const [code] = await once(child, 'exit')
    if (!ok) throw new Error(`${name} started from its deploy output did not become ready`)
    if (code !== 0) throw new Error(`${name} did not exit cleanly on SIGTERM (code ${code})`)
    console.log(`deploy check: ${name} runs from \`pnpm deploy --prod\` output (ready, clean exit)`)
  }
} catch (error) {
  console.error(`deploy check FAILED: ${error.message}`)
  failed = true
} finally {
  rmSync(work, { recursive: true, force: true })
}
process.exit(failed ? 1 : 0)
