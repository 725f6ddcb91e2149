#!/usr/bin/env node
/**
 * `node scripts/check-commit-subjects.mjs FROM TO`: fails when a commit in FROM..TO has a subject
 * longer than 72 characters (CONTRIBUTING.md: the subject says what changed, the body why).
 * The GitHub workflow runs it on the pushed or proposed commits only: older subjects are history
 * and stay as they are, which is also why .ci/run (a fresh clone of history already written)
 * does not run it. When FROM is empty, all zeros (a new branch) or unknown (a force push), only
 * TO itself is checked.
 */
import { execFileSync } from 'node:child_process'

const MAX = 72
const [from = '', to = 'HEAD'] = process.argv.slice(2)

const git = (...args) => execFileSync('git', args, { encoding: 'utf8' })
const known = (rev) => {
  try {
    execFileSync('git', ['cat-file', '-e', `${rev}^{commit}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const range = from !== '' && !/^0+$/.test(from) && known(from) ? [`${from}..${to}`] : ['-1', to]
const commits = git('log', '--format=%h%x09%s', ...range)
  .split('\n')
  .filter(Boolean)
  .map((line) => {
    const tab = line.indexOf('\t')
    return { hash: line.slice(0, tab), subject: line.slice(tab + 1) }
  })
// Characters as a reader counts them (code points), not UTF-16 units or bytes.
const long = commits.filter(({ subject }) => [...subject].length > MAX)
for (const { hash, subject } of long) {
  console.error(`${hash} ${[...subject].length} characters: ${subject}`)
}
if (long.length > 0) {
  console.error(
    `FAILED: ${long.length} of ${commits.length} commit subjects are over ${MAX} characters;` +
      ' say what changed in the subject and why in the body (CONTRIBUTING.md)',
  )
  process.exit(1)
}
console.log(`${commits.length} commit subjects, each at most ${MAX} characters`)
