import { defineConfig } from 'vitest/config'

// Each test cruises a small workspace, one cruises the real tree, one runs the CLI as a process:
// seconds on a quiet machine, more on two shared cores.
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 30_000 } })
