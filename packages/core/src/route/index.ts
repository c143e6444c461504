export { authorityHost, createHostTable, type HostTable } from './host-table.js'
export {
  type EscapedSlashesAction,
  type NormalizedTarget,
  normalizeTarget,
  type PathNormalization,
  type PathPolicy,
} from './normalize.js'
export { type RequestFactsResult, requestFactsFor, routeStatName } from './request-facts.js'
export { pickDestination, redirectLocation, route } from './router.js'
