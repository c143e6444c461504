export { explain } from './explain.js'
export { type ExplainOptions, explainRequest } from './explain-request.js'
export {
  type NormalizedTarget,
  normalizeTarget,
} from './normalize.js'
export { type PolicyConnection, policyRequest } from './policy-request.js'
export { type RequestFactsResult, requestFactsFor } from './request-facts.js'
export { pickDestination, redirectLocation, route } from './router.js'
