export { durationMillis, parseDuration, parseDurationNanos } from './duration.js'
export type { ServerHost } from './hosts.js'
export {
  hostMatches,
  hostsIntersect,
  intersectHosts,
  isWildcardHost,
  nameSubsetOf,
  namesOverlap,
  parseServerHost,
  serverHostsForNamespace,
} from './hosts.js'
export {
  CLUSTER_DOMAIN,
  DEFAULT_NAMESPACE,
  isIpAddress,
  MESH_GATEWAY,
  resolveGatewayName,
  resolveShortname,
} from './names.js'
export { createSnapshot, namespaceOf, type Snapshot, type SnapshotResource } from './snapshot.js'
export type {
  ConfigSink,
  ConfigSinkOutcome,
  ConfigSource,
  ConfigSyncOptions,
  ConfigWrite,
  ConfigWriteOutcome,
  SourceConnection,
} from './source.js'
export {
  type ChangeOperation,
  type ChangePlan,
  type ChangeResult,
  type ConfigStore,
  type ConfigStoreOptions,
  canonicalKind,
  createConfigStore,
  type ResourceChange,
  type ResourceKey,
  type SnapshotListener,
} from './store.js'
