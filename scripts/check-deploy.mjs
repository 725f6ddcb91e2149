#!/usr/bin/env node
/**
 * The Docker images cannot be built here (no Docker engine), so CI runs the step the build stage
 * of the root Dockerfile runs for each service, `pnpm --filter @authpair/<SERVICE> deploy --prod`,
 * and starts each service from that output alone, in an empty directory, with the image's CMD
 * flags, until /health and /ready answer. The output must hold only production dependencies.
 * The deploy step and the CMD are read from the Dockerfile: when either changes shape, this
 * fails, rather than going on checking a step the images no longer run.
 */
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const dockerfile = readFileSync(fileURLToPath(new URL('../Dockerfile', import.meta.url)), 'utf8')
// biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's shell variable, verbatim
const deployStep = 'pnpm --filter "@authpair/${SERVICE}" deploy --prod /out'
if (!dockerfile.includes(deployStep)) {
  console.error(`deploy check FAILED: the Dockerfile no longer runs \`${deployStep}\``)
  process.exit(1)
}
// CMD ["node", ...flags, "dist/server.js"], relative to WORKDIR /app (the deploy output).
const cmd = JSON.parse(dockerfile.match(/^CMD (\[.*\])$/m)?.[1] ?? 'null')
if (cmd?.[0] !== 'node') {
  console.error('deploy check FAILED: the Dockerfile has no CMD ["node", ..., "<script>"]')
  process.exit(1)
}
const nodeFlags = cmd.slice(1, -1)
const entry = cmd.at(-1)

const work = mkdtempSync(join(tmpdir(), 'authpair-deploy-'))
// name: the Dockerfile's SERVICE; port: this check's own, clear of a development server's.
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
    const child = spawn(process.execPath, [...nodeFlags, join(out, entry)], {
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
