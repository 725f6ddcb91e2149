import { dataDirSchema } from '@authpair/db'
import { listSchema, portSchema } from '@authpair/service-kit'
import { z } from 'zod'

/**
 * What `pnpm start` reads for itself (everything else passes through to the services). Each
 * variable is in .env.example with a comment.
 */
export const LauncherConfigSchema = z.object({
  /** Interface of the development gateway. */
  GATEWAY_HOST: z.string().default('127.0.0.1'),
  /** Port of the development gateway; ISSUER unset follows it (in both services). */
  GATEWAY_PORT: portSchema(8080),
  /** Loopback ports the launcher gives the two services. */
  AUTH_PORT: portSchema(3001),
  USERS_PORT: portSchema(3002),
  /** Client addresses allowed to reach /admin/ through the gateway. */
  ADMIN_ALLOW_IPS: listSchema('127.0.0.1,::1'),
  /** The embedded database and the development key-encryption key live here. */
  DATA_DIR: dataDirSchema,
  /** How long both services get to become healthy, ms. */
  STARTUP_TIMEOUT_MS: z.coerce.number().int().min(1000).default(30_000),
})
