/**
 * The configuration documents match the code (issue 21): every variable a service or the
 * launcher reads is in .env.example, and every variable the README's configuration table names
 * is there too, so neither can drift from the schemas unnoticed.
 */
import { readFileSync } from 'node:fs'
import { AuthConfigSchema } from '@authpair/auth-service'
import { LauncherConfigSchema } from '@authpair/launcher/config'
import { UsersConfigSchema } from '@authpair/users-service'
import { describe, expect, it } from 'vitest'

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')
/** Names assigned in .env.example, commented-out examples (`# PORT=3001`) included. */
const documented = new Set(
  [...read('.env.example').matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]),
)

describe('.env.example', () => {
  it.each([
    ['auth-service', AuthConfigSchema.shape],
    ['users-service', UsersConfigSchema.shape],
    ['launcher', LauncherConfigSchema.shape],
  ])('documents every variable the %s reads', (_name, shape) => {
    const missing = Object.keys(shape).filter((key) => !documented.has(key))
    expect(missing).toEqual([])
  })
})

describe("the README's configuration table", () => {
  it('names only variables that .env.example documents', () => {
    const readme = read('README.md')
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Layout'))
    const rows = section.split('\n').filter((line) => /^\| `[A-Z]/.test(line))
    expect(rows.length).toBeGreaterThan(5)
    const names = rows.map((row) => /^\| `([A-Z][A-Z0-9_]*)`/.exec(row)?.[1])
    expect(names.filter((name) => !name || !documented.has(name))).toEqual([])
  })
})
