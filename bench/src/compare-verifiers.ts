/**
 * `node bench/dist/compare-verifiers.js [seconds per window] [rounds]`: the verifier rows of
 * `pnpm bench` alone (compareVerifiers), without the services: a JWKS served on loopback and a
 * token shaped like the auth-service's (RS256 2048, kid, typ at+jwt, a user's claims). Run it
 * pinned, e.g. `taskset -c 1`, and more than once: the machine is shared.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT } from 'jose'
import { compareVerifiers, describeComparison } from './verifiers.js'

const seconds = Number(process.argv[2] ?? 1)
const rounds = Number(process.argv[3] ?? 3)
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const kid = 'bench-key'
const body = JSON.stringify({
  keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }],
})
const server = createServer((_request, reply) => {
  reply.setHeader('content-type', 'application/json')
  reply.end(body)
})
await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening))
try {
  const { port } = server.address() as AddressInfo
  const issuer = 'http://localhost:8080'
  const audience = 'authpair-api'
  const iat = Math.floor(Date.now() / 1000)
  const token = await new SignJWT({ sid: randomUUID(), role: 'user', amr: ['pwd'] })
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + 900)
    .setJti(randomUUID())
    .sign(privateKey)
  const comparison = await compareVerifiers({
    token,
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    issuer,
    audience,
    seconds,
    rounds,
  })
  console.log(describeComparison(comparison))
} finally {
  server.close()
}
// Exit rather than wait on anything the verifiers left scheduled.
process.exit(0)
