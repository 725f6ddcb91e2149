import { redactDatabaseUrl } from '@authpair/db'
import { runService } from '@authpair/service-kit'
import { buildUsersApp } from './app.js'
import { loadUsersConfig } from './config.js'

await runService({
  name: 'users-service',
  loadConfig: () => loadUsersConfig(),
  buildApp: (config) => buildUsersApp({ config }),
  // One line an operator can check at a glance: which database and which issuer this is.
  onListening: (app, config) => {
    const database = redactDatabaseUrl(config.DATABASE_URL)
    app.log.info(
      { database, issuer: config.ISSUER },
      `users-service started: database ${database}, issuer ${config.ISSUER}`,
    )
  },
})
