import { redactDatabaseUrl } from '@authpair/db'
import { runService } from '@authpair/service-kit'
import { buildAuthApp } from './app.js'
import { loadAuthConfig } from './config.js'

await runService({
  name: 'auth-service',
  loadConfig: () => loadAuthConfig(),
  buildApp: (config) => buildAuthApp({ config }),
  // One line an operator can check at a glance: which database and which issuer this is.
  onListening: (app, config) => {
    const database = redactDatabaseUrl(config.DATABASE_URL)
    app.log.info(
      { database, issuer: config.ISSUER },
      `auth-service started: database ${database}, issuer ${config.ISSUER}`,
    )
  },
})
