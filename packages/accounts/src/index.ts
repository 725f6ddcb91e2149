export {
  AccountRules,
  type AccountRulesDeps,
  type ImportedAccount,
  isRecentSignIn,
  type NewAccount,
  sessionAuthorizes,
} from './account-rules.js'
export { type AuditEventType, AuditTrail } from './audit-trail.js'
export { type Clock, systemClock } from './clock.js'
export { normalizeEmail } from './email.js'
export {
  decideFederatedAccount,
  type FederatedAccountDecision,
  type FederatedAccountFacts,
} from './linking-policy.js'
export { adminViewOf, profileOf, toProfile } from './profile.js'
export { type FirstFactor, nextSignInStep, type SignInPolicy, type SignInStep } from './sign-in.js'
