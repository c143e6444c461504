/**
 * Serve a compiled Portico config on Node listeners: HTTP/1.1, HTTPS with SNI, HTTP/2, proxying.
 *
 * @packageDocumentation
 * @module @portico/server
 */
export * from './access-log/index.js'
export * from './admin/index.js'
export { type ClientHelloResult, readClientHello } from './downstream/client-hello.js'
export type { ConnectionLimits } from './downstream/limits.js'
export type { OverloadOptions, OverloadState } from './downstream/overload.js'
export { listenPortFor } from './downstream/port-map.js'
export { ENVOY_TLS12_CIPHERS, loadServerTls, TLS13_CIPHERS } from './downstream/tls.js'
export { PorticoServerError, type ServerErrorCode } from './errors.js'
export * from './events/index.js'
export {
  createGateway,
  type Gateway,
  type GatewayAddress,
  type GatewayConfig,
  type GatewayOptions,
  type GatewaySource,
} from './gateway.js'
export * from './metrics/index.js'
export {
  createJwksCache,
  JWKS_REFRESH_MS,
  type JwksCache,
  type JwksCacheOptions,
} from './policy/jwks-cache.js'
export { RBAC_DENIED_BODY } from './policy/step.js'
export type { Logger, RouteFunction } from './types.js'
export * from './watch/index.js'
