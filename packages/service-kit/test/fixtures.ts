import type { BaseConfig } from '../src/index.js'

/** A complete base configuration for servers under test: silent, small body limit. */
export const testConfig: BaseConfig = {
  NODE_ENV: 'test',
  HOST: '127.0.0.1',
  PORT: 0,
  LOG_LEVEL: 'silent',
  TRUST_PROXY: ['127.0.0.1'],
  DOCS_ENABLED: false,
  SHUTDOWN_GRACE_MS: 1000,
  BODY_LIMIT_BYTES: 1024,
  CORS_ORIGINS: [],
}
