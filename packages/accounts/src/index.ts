export {
  AccountRules,
  type AccountRulesDeps,
  type ImportedAccount,
  isRecentSignIn,
  type NewAccount,
  sessionAuthorizes,
} from './account-rules.js'
export { type AuditEventType, type AuditObserver, AuditTrail } from './audit-trail.js'
export { type Clock, systemClock } from './clock.js'
export { normalizeEmail } from './email.js'
export {
  decideFederatedAccount,
  type FederatedAccountDecision,
  type FederatedAccountFacts,
} from './linking-policy.js'
export { adminViewOf, profileOf, toProfile } from './profile.js'
export {
  adminAccessProblem,
  type SecondFactorPolicy,
  secondFactorsOf,
} from './second-factor-policy.js'
export {
  amrOfFirstFactor,
  amrOfPasskey,
  amrWithSecondFactor,
  type FirstFactor,
  nextSignInStep,
  type SecondFactorFacts,
  type SignInPolicy,
  type SignInStep,
} from './sign-in.js'
export {
  lastSignInMethodProblem,
  type SignInMethods,
  signInMethodsOf,
} from './sign-in-methods.js'
