/**
 * The ceiling for login and register: raw argon2id verifications (or hashes) per second with
 * the service's parameters, at a given concurrency, in a process of its own.
 * argv: mode (verify|hash) concurrency seconds memoryKib iterations parallelism
 */
import { hash, verify } from '@node-rs/argon2'

const [mode = 'verify', concurrency = '8', seconds = '5', m = '19456', t = '2', p = '1'] =
  process.argv.slice(2)
const options = {
  algorithm: 2,
  memoryCost: Number(m),
  timeCost: Number(t),
  parallelism: Number(p),
} as never
const phc = await hash('bench-password-value', options)
const deadline = Date.now() + Number(seconds) * 1000
let done = 0
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (Date.now() < deadline) {
      if (mode === 'verify') await verify(phc, 'bench-password-value')
      else await hash('bench-password-value', options)
      done++
    }
  }),
)
process.stdout.write(JSON.stringify({ opsPerSecond: done / Number(seconds) }))
