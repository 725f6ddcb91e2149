export { type Argon2Config, argon2ConfigShape, passwordHasherFromConfig } from './argon2-config.js'
export {
  DJANGO_HASH_SCHEMES,
  type DjangoHashScheme,
  djangoHashScheme,
  isUnusableDjangoPassword,
  verifyDjangoHash,
} from './django-hashes.js'
export {
  type Argon2Parameters,
  OWASP_ARGON2,
  PasswordHasher,
} from './password-hasher.js'
export { commonPasswordCount, passwordProblem, preloadPasswordList } from './password-policy.js'
