/**
 * A fleet of Portico gateways on one configuration in etcd: the etcd config source and its writers.
 *
 * @packageDocumentation
 * @module @portico/etcd
 */
export {
  connectStore,
  type EtcdStore,
  STORE_PASSWORD_ENV,
  STORE_USERNAME_ENV,
  StoreError,
  type StoreOptions,
  type StoreRead,
  storeAuthFromEnv,
} from './client.js'
export { PTC_BAD_VALUE, PTC_KEY_IGNORED, PTC_STORE_UNREACHABLE, PTC_WRITE_CONFLICT } from './codes.js'
export {
  type DecodedConfig,
  type DecodedEntry,
  decodeEntries,
  decodeEntry,
  encodeResource,
  groupOf,
  inLayout,
  keyOf,
  pluralOf,
  type StoreEntry,
} from './layout.js'
export { createEtcdSource, type EtcdSource, type EtcdSourceOptions, type EtcdSourceReport } from './source.js'
export { DEFAULT_ETCD_PORT, parseStoreUrl, type StoreAddress, StoreAddressError } from './url.js'
export { type WriteOptions, writeStore } from './write.js'
