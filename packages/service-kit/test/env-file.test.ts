/**
 * `.env` in development (issue 21): read with Node's own parser when the file exists, never
 * over a variable the real environment has, never in production.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { loadEnvFileInDevelopment } from '../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'authpair-env-file-'))
const file = join(dir, '.env')
// Names no other code reads, removed after each test.
const NAMES = ['AUTHPAIR_T_FROM_FILE', 'AUTHPAIR_T_REAL', 'AUTHPAIR_T_EMPTY']
afterEach(() => {
  for (const name of NAMES) delete process.env[name]
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('loadEnvFileInDevelopment', () => {
  it('fills in what the environment leaves unset; a real variable wins, even an empty one', () => {
    writeFileSync(
      file,
      '# a comment\nAUTHPAIR_T_FROM_FILE=from-file\nAUTHPAIR_T_REAL=from-file\nAUTHPAIR_T_EMPTY="from-file"\n',
    )
    process.env.AUTHPAIR_T_REAL = 'real'
    process.env.AUTHPAIR_T_EMPTY = ''
    expect(loadEnvFileInDevelopment('development', file)).toBe('loaded')
    expect(process.env.AUTHPAIR_T_FROM_FILE).toBe('from-file')
    expect(process.env.AUTHPAIR_T_REAL).toBe('real')
    expect(process.env.AUTHPAIR_T_EMPTY).toBe('')
  })

  it('does nothing when there is no file', () => {
    expect(loadEnvFileInDevelopment(undefined, join(dir, 'missing.env'))).toBe('absent')
  })

  it('is never read in production', () => {
    writeFileSync(file, 'AUTHPAIR_T_FROM_FILE=from-file\n')
    expect(loadEnvFileInDevelopment('production', file)).toBe('skipped_in_production')
    expect(process.env.AUTHPAIR_T_FROM_FILE).toBeUndefined()
  })
})
