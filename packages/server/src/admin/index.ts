export { type AdminOptions, type AdminServer, DEFAULT_ADMIN_PORT, isLoopback, startAdmin } from './admin.js'
export { renderRouteSvg } from './diagram-svg.js'
export { escapeHtml } from './escape.js'
export {
  type ConfigHistory,
  type ConfigHistoryEntry,
  type ConfigHistoryRecorder,
  createConfigHistory,
} from './history.js'
export type { AdminAllowedHosts } from './host-check.js'
export {
  type ChangeInputOptions,
  type ChangeOutcome,
  ConfigurationError,
  createManagedGateway,
  type ManagedGateway,
  type ManagedGatewayOptions,
  type ResourceInput,
  type ValidateFunction,
} from './managed.js'
export {
  ADMIN_PAGE_CSP,
  type AdminPageView,
  adminPageView,
  type CertificateView,
  EXPIRY_WARNING_DAYS,
  renderAdminPage,
} from './page.js'
export {
  type AdminChange,
  type AdminPeers,
  applyChange,
  type PeerMetrics,
  type PeerOutcome,
} from './peers.js'
export {
  bucketQuantile,
  ROUTE_DURATION_FAMILY,
  type TrafficFigures,
  type TrafficSummary,
  trafficSummary,
} from './traffic.js'
