import { defineConfig } from 'vitest/config'

// The whole tree's tests in one run; each project keeps its own vitest.config.ts.
export default defineConfig({
  test: {
    projects: ['packages/*', 'services/*', 'tools/*', 'e2e', 'tooling/import-rules'],
  },
})
