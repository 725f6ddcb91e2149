#!/usr/bin/env node
import { runService } from '@authpair/service-kit'
import { buildAuthApp } from './app.js'
import { loadAuthConfig } from './config.js'

await runService({
  name: 'auth-service',
  loadConfig: () => loadAuthConfig(),
  buildApp: (config) => buildAuthApp({ config }),
})
