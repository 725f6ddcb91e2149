export {
  type Argon2Parameters,
  OWASP_ARGON2,
  PasswordHasher,
} from './password-hasher.js'
export { commonPasswordCount, passwordProblem, preloadPasswordList } from './password-policy.js'
