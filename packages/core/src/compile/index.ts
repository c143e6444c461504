export type { RegistryService } from './clusters.js'
export { type CompileOptions, type CompileResult, compile } from './compile.js'
export {
  describeAction,
  describeRoutes,
  formatRoutes,
  type RouteRow,
  type RoutesDescription,
} from './describe.js'
export {
  compareMatches,
  DEFAULT_GATEWAY_CLASS,
  formatGatewayApiStatus,
  GATEWAY_API_CONTROLLER,
  type GatewayApiOptions,
  type GatewayApiStatus,
  type GatewayApiTranslation,
  type GatewayStatus,
  intersectHostnames,
  kubernetesServices,
  type ListenerStatus,
  type RouteParentStatus,
  type RouteStatus,
  type StatusCondition,
  serviceHost,
  translateGatewayApi,
} from './gateway-api.js'
export {
  formatDot,
  formatMermaid,
  type RouteGraph,
  type RouteGraphEdge,
  type RouteGraphNode,
  routeGraph,
} from './graph.js'
export { authorityHost, createHostTable, type HostTable } from './host-table.js'
export { DEFAULT_RETRY_POLICY } from './http-routes.js'
export { compileStringMatch, type StringMatcher, type StringMatchInput } from './match.js'
export { type CompiledRegex, compileRegex } from './regex.js'
export { loadRegexEngine } from './regex-engine.js'
export { routeStatName } from './route-name.js'
export type * from './types.js'
