export * from './access-log/index.js'
export * from './admin/index.js'
export { type ClientHelloResult, readClientHello } from './client-hello.js'
export { PorticoServerError, type ServerErrorCode } from './errors.js'
export {
  CHANNELS,
  type ConfigEvent,
  type ConnectionEvent,
  type RequestEndEvent,
  type RequestStartEvent,
  type ResponseFlag,
} from './events.js'
export {
  createGateway,
  type Gateway,
  type GatewayAddress,
  type GatewayConfig,
  type GatewayOptions,
  type GatewaySource,
} from './gateway.js'
export type { ConnectionLimits } from './listeners.js'
export * from './metrics/index.js'
export { listenPortFor } from './port-map.js'
export { ENVOY_TLS12_CIPHERS, loadServerTls, TLS13_CIPHERS } from './tls.js'
export type { Logger, RouteFunction } from './types.js'
export * from './watch/index.js'
