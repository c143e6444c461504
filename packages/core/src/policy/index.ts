export {
  type AuthenticationInput,
  type AuthenticationResult,
  authenticate,
  describeLocation,
  extractTokens,
  JWT_CLOCK_SKEW_SECONDS,
  JWT_STATUS,
  type KeySource,
  parseJwt,
} from './authenticate.js'
export { authorize } from './authorize.js'
export { compilePolicies, DEFAULT_JWKS_TIMEOUT_MS, type PolicyResource, sanitizeAudience } from './compile.js'
export { parseJwks } from './jwks.js'
export { claimAt, claimMatches } from './matchers.js'
export {
  DEFAULT_GATEWAY_LABELS,
  DEFAULT_GATEWAY_NAMESPACE,
  formatLabels,
  type GatewayWorkload,
  type PolicyScope,
  policyScope,
  ROOT_NAMESPACE,
  type ScopedPolicy,
} from './scope.js'
export type * from './types.js'
