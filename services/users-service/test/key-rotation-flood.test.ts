/**
 * A finding of the fuzz test (issue 22), kept here until the signing-key owners pick a fix.
 *
 * Every POST /admin/auth/keys/rotate publishes one more key, and a key that is retired before
 * it ever signed stays in the JWKS as long as one that did (until its successor's activation
 * plus ACCESS_TOKEN_TTL_SECONDS + 60 s: about 22 minutes with the defaults). After 100
 * rotations inside that window the JWKS holds more than 100 keys, and @authpair/jwt-verify
 * refuses a JWKS that large (maxKeys, default 100): a users-service that has not cached the
 * keys (a fresh replica, or one whose cache expired) answers every authenticated request
 * 503 service_unavailable, "Tokens cannot be verified right now", until enough keys age out.
 *
 * Possible fixes (not chosen here): unpublish a key retired before its activation, cap the
 * published set at rotation (409), or align the two limits. The test is marked `fails`: it
 * turns red once the pair survives the flood, and the marker should then go.
 */
import { expect, it } from 'vitest'
import { startPair } from './helper.js'

it.fails('a users-service still verifies tokens after 100 key rotations in a row', {
  timeout: 60_000,
}, async () => {
  // ES256: RS256 key generation would make this take half a minute for the same finding.
  const pair = await startPair({ JWT_ALGORITHMS: 'ES256' }, { authEnv: { JWT_ALG: 'ES256' } })
  try {
    const { token } = await pair.userWithToken()
    for (let i = 0; i < 100; i++) await pair.auth.rotateSigningKey()
    const jwks = (await pair.auth.inject({ url: '/auth/.well-known/jwks.json' })).json()
    expect(jwks.keys.length).toBe(101)
    const res = await pair.users.inject({
      url: '/users/me',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(res.statusCode).toBe(200)
  } finally {
    await pair.close()
  }
})
