export { type AdminOptions, type AdminServer, DEFAULT_ADMIN_PORT, isLoopback, startAdmin } from './admin.js'
export {
  type ChangeOutcome,
  ConfigurationError,
  createManagedGateway,
  type ManagedGateway,
  type ManagedGatewayOptions,
  type ResourceInput,
  type ValidateFunction,
} from './managed.js'
export {
  type AdminChange,
  type AdminPeers,
  applyChange,
  type PeerMetrics,
  type PeerOutcome,
} from './peers.js'
