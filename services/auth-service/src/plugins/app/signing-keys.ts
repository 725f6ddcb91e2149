import { DatabaseUnavailableError } from '@authpair/db'
import fp from 'fastify-plugin'
import type { AuthConfig } from '../../config.js'
import { resolveKeyEncryptionKey } from '../../keys/key-encryption.js'
import { KeyStore } from '../../keys/key-store.js'
import { MailSeal } from '../../mail/mail-seal.js'
import { TotpSecretSeal } from '../../mfa/totp-secret-seal.js'
import { deriveCookieKey } from '../../oauth/state-cookie.js'
import { AccessTokenIssuer } from '../../tokens/access-token-issuer.js'

declare module 'fastify' {
  interface FastifyInstance {
    keys: KeyStore
    accessTokens: AccessTokenIssuer
    /** Rotates the signing key with the lead and tail this configuration needs. */
    rotateSigningKey: () => ReturnType<KeyStore['rotate']>
    /** Seals the OAuth state cookie; derived from the key-encryption key. */
    cookieKey: Buffer
    /** Seals and opens outbox mail bodies; its key is derived from the key-encryption key. */
    mailSeal: MailSeal
    /** Seals and opens TOTP secrets with the key-encryption key (like the signing keys). */
    totpSecretSeal: TotpSecretSeal
  }
}

export interface SigningKeysOptions {
  config: AuthConfig
  now: () => Date
}

/**
 * Loads the signing keys at start-up (generating the first one on an empty database) and
 * re-reads them periodically so a rotation made by another replica or the CLI is picked up.
 */
export default fp<SigningKeysOptions>(
  async (fastify, { config, now }) => {
    const kek = resolveKeyEncryptionKey(config.KEY_ENCRYPTION_KEY, config.DATA_DIR)
    if (kek.source === 'generated') {
      fastify.log.warn(
        { dir: config.DATA_DIR },
        'KEY_ENCRYPTION_KEY is unset: generated a development key-encryption key in DATA_DIR',
      )
    }
    const store = new KeyStore(fastify.db, kek.key, { alg: config.JWT_ALG, now, log: fastify.log })
    fastify.decorate('keys', store)
    fastify.decorate('cookieKey', deriveCookieKey(kek.key))
    fastify.decorate('mailSeal', new MailSeal(kek.key))
    fastify.decorate('totpSecretSeal', new TotpSecretSeal(kek.key))
    fastify.decorate('rotateSigningKey', () =>
      store.rotate({
        // Every verifier's cached JWKS and every replica's key list is refreshed before the
        // new key signs; a minute of margin for clock skew and slow fetches.
        publishLeadSeconds:
          config.KEY_ROTATION_LEAD_SECONDS ??
          config.JWKS_MAX_AGE_SECONDS + Math.ceil(config.KEYS_REFRESH_INTERVAL_MS / 1000) + 60,
        retiredPublishSeconds: config.ACCESS_TOKEN_TTL_SECONDS + 60,
      }),
    )
    fastify.decorate(
      'accessTokens',
      new AccessTokenIssuer(store, {
        issuer: config.ISSUER,
        audience: config.JWT_AUDIENCE,
        ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
        now,
      }),
    )

    // A database that is down at start-up is waited for (/ready says so meanwhile); anything
    // else (no tables, a KEK that does not decrypt the stored keys) stops the start with its
    // reason.
    const start = async () => {
      await store.initialize()
      store.activeKey()
    }
    try {
      await start()
    } catch (error) {
      if (!(error instanceof DatabaseUnavailableError)) throw error
      fastify.log.error(
        { err: error },
        'database unavailable at start-up: retrying the signing keys',
      )
    }

    const timer = setInterval(() => {
      const work = store.ready ? store.refresh() : start()
      work.catch((err) => fastify.log.warn({ err }, 'could not load signing keys'))
    }, config.KEYS_REFRESH_INTERVAL_MS)
    timer.unref()
    fastify.addHook('onClose', async () => clearInterval(timer))
  },
  { name: 'signing-keys', dependencies: ['database'], fastify: '5.x' },
)
