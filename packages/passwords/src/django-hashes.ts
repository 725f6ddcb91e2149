import { createHash, pbkdf2, scrypt, timingSafeEqual } from 'node:crypto'
import { verify as argon2Verify } from '@node-rs/argon2'
import { verify as bcryptVerify } from '@node-rs/bcrypt'

/**
 * Django's password hash formats (django.contrib.auth.hashers), as `auth_user.password` stores
 * them: `<algorithm>$<the algorithm's own fields>`. Imported accounts keep them as they are; a
 * successful sign-in verifies one here and replaces it by an argon2id hash. Each is checked
 * with the parameters the stored string carries, by a maintained implementation (node:crypto
 * for PBKDF2 and scrypt, @node-rs/argon2, @node-rs/bcrypt), and compared in constant time.
 *
 * Not accepted: Django's deprecated unsalted or weak hashers (md5, sha1, crypt, unsalted_*):
 * such accounts import without a password and reset it (see the import).
 */
export const DJANGO_HASH_SCHEMES = [
  'pbkdf2_sha256',
  'pbkdf2_sha1',
  'argon2',
  'bcrypt_sha256',
  'bcrypt',
  'scrypt',
] as const
export type DjangoHashScheme = (typeof DJANGO_HASH_SCHEMES)[number]

/**
 * Upper bounds on the work a stored string may ask for. The strings come from the operator's
 * own Django database, but a crafted or corrupted one must not pin a core for minutes or
 * allocate gigabytes at a sign-in: Django's own defaults are far below (PBKDF2 1,000,000
 * iterations in Django 5.2; scrypt N=2^14, r=8; argon2 100 MiB).
 */
const MAX_PBKDF2_ITERATIONS = 10_000_000
const MAX_SCRYPT_N = 2 ** 20
const MAX_SCRYPT_R = 32
const MAX_SCRYPT_P = 16
const MAX_ARGON2_MEMORY_KIB = 1_048_576

/** Django's UNUSABLE_PASSWORD_PREFIX: set_unusable_password() stores `!` and 40 random chars. */
export function isUnusableDjangoPassword(encoded: string): boolean {
  return encoded === '' || encoded.startsWith('!')
}

/** The scheme of a Django hash this package can verify, or undefined for anything else. */
export function djangoHashScheme(encoded: string): DjangoHashScheme | undefined {
  const algorithm = encoded.slice(0, encoded.indexOf('$'))
  return (DJANGO_HASH_SCHEMES as readonly string[]).includes(algorithm)
    ? (algorithm as DjangoHashScheme)
    : undefined
}

/**
 * Whether `password` matches the Django-encoded hash. False, never an exception, for a
 * malformed string, unsupported parameters or a scheme not in DJANGO_HASH_SCHEMES.
 */
export async function verifyDjangoHash(encoded: string, password: string): Promise<boolean> {
  try {
    switch (djangoHashScheme(encoded)) {
      case 'pbkdf2_sha256':
        return await verifyPbkdf2(encoded, password, 'sha256', 32)
      case 'pbkdf2_sha1':
        return await verifyPbkdf2(encoded, password, 'sha1', 20)
      case 'argon2':
        return await verifyArgon2(encoded, password)
      case 'bcrypt_sha256':
        // Django hashes first (so bcrypt's 72-byte limit does not cut the password) and hands
        // bcrypt the hex digest, 64 ASCII bytes.
        return await verifyBcrypt(
          encoded.slice('bcrypt_sha256$'.length),
          createHash('sha256').update(password, 'utf8').digest('hex'),
        )
      case 'bcrypt':
        return await verifyBcrypt(encoded.slice('bcrypt$'.length), password)
      case 'scrypt':
        return await verifyScrypt(encoded, password)
      default:
        return false
    }
  } catch {
    return false
  }
}

const DECIMAL = /^[1-9][0-9]{0,9}$/
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/** `pbkdf2_<digest>$<iterations>$<salt>$<base64 of the derived key>` (PBKDF2PasswordHasher). */
function verifyPbkdf2(
  encoded: string,
  password: string,
  digest: 'sha256' | 'sha1',
  keyLength: number,
): Promise<boolean> {
  const [, iterations = '', salt = '', hash = '', ...rest] = encoded.split('$')
  if (rest.length > 0 || !DECIMAL.test(iterations) || salt === '' || !BASE64.test(hash)) {
    return Promise.resolve(false)
  }
  const rounds = Number(iterations)
  const expected = Buffer.from(hash, 'base64')
  if (rounds > MAX_PBKDF2_ITERATIONS || expected.length !== keyLength) {
    return Promise.resolve(false)
  }
  return new Promise((resolve, reject) => {
    // Django encodes both as UTF-8 (force_bytes); the salt is its string, not decoded.
    pbkdf2(
      Buffer.from(password, 'utf8'),
      Buffer.from(salt, 'utf8'),
      rounds,
      keyLength,
      digest,
      (e, key) => (e ? reject(e) : resolve(timingSafeEqual(key, expected))),
    )
  })
}

/**
 * `argon2$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>` (Argon2PasswordHasher, argon2-cffi): after
 * the `argon2` prefix the rest is a PHC string, which the argon2 library parses and checks
 * (argon2id, and argon2i from Django before 3.2). Hashes from before argon2-cffi wrote `v=`
 * (Django 1.10, 2016) are refused: their version differs and the library would assume 19.
 */
const DJANGO_ARGON2 =
  /^argon2(\$argon2(?:id|i)\$v=19\$m=(\d{1,8}),t=\d{1,3},p=\d{1,3}\$[^$]+\$[^$]+)$/

function verifyArgon2(encoded: string, password: string): Promise<boolean> {
  const match = DJANGO_ARGON2.exec(encoded)
  if (!match?.[1] || Number(match[2]) > MAX_ARGON2_MEMORY_KIB) return Promise.resolve(false)
  return argon2Verify(match[1], password)
}

/** A modular-crypt bcrypt string, `$2b$12$<22 salt chars><31 hash chars>`. */
const BCRYPT = /^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$/

function verifyBcrypt(hash: string, secret: string): Promise<boolean> {
  if (!BCRYPT.test(hash)) return Promise.resolve(false)
  return bcryptVerify(Buffer.from(secret, 'utf8'), hash)
}

/**
 * `scrypt$<N>$<salt>$<r>$<p>$<base64 of 64 bytes>` (ScryptPasswordHasher, Django 4.0 and
 * later: hashlib.scrypt with dklen 64).
 */
function verifyScrypt(encoded: string, password: string): Promise<boolean> {
  const [, n = '', salt = '', r = '', p = '', hash = '', ...rest] = encoded.split('$')
  if (
    rest.length > 0 ||
    ![n, r, p].every((v) => DECIMAL.test(v)) ||
    salt === '' ||
    !BASE64.test(hash)
  ) {
    return Promise.resolve(false)
  }
  const [cost, blockSize, parallelism] = [Number(n), Number(r), Number(p)]
  const expected = Buffer.from(hash, 'base64')
  if (
    cost > MAX_SCRYPT_N ||
    (cost & (cost - 1)) !== 0 ||
    blockSize > MAX_SCRYPT_R ||
    parallelism > MAX_SCRYPT_P ||
    expected.length !== 64
  ) {
    return Promise.resolve(false)
  }
  return new Promise((resolve, reject) => {
    scrypt(
      Buffer.from(password, 'utf8'),
      Buffer.from(salt, 'utf8'),
      64,
      // OpenSSL's memory check is 128·N·r (plus p·r·128); double it, so the bound above rules.
      { N: cost, r: blockSize, p: parallelism, maxmem: 256 * cost * blockSize * parallelism },
      (e, key) => (e ? reject(e) : resolve(timingSafeEqual(key, expected))),
    )
  })
}
