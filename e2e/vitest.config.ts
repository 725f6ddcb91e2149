import { defineConfig } from 'vitest/config'

// Process-level and database tests share two cores with each other: generous timeouts keep
// a busy machine from failing a correct test, while a real hang still fails.
export default defineConfig({ test: { testTimeout: 20_000, hookTimeout: 30_000 } })
