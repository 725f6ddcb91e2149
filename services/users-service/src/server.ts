#!/usr/bin/env node
import { runService } from '@authpair/service-kit'
import { buildUsersApp } from './app.js'
import { loadUsersConfig } from './config.js'

await runService({
  name: 'users-service',
  loadConfig: () => loadUsersConfig(),
  buildApp: (config) => buildUsersApp({ config }),
})
