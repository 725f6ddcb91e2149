// The configuration `pnpm check:imports` hands to depcruise: the rules for this workspace, run
// from its root (rules.cjs holds them; the tests build the same rules for a fixture workspace).
module.exports = require('./rules.cjs').importRules(process.cwd())
