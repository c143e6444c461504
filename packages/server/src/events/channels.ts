import type { Socket } from 'node:net'
import type { Diagnostic } from '@portico/core'

/**
 * Envoy's response flags that Portico sets (`%RESPONSE_FLAGS%`): NR no route, NC no cluster,
 * UH no healthy upstream, UF upstream connection failure, URX retry limit exceeded, UC upstream
 * connection termination, UPE upstream protocol error, UT upstream request timeout, DC downstream
 * connection termination, UO upstream overflow (connection pool full), FI fault abort, DI fault
 * delay, RL rate limited, LR local reset, OM shed by the overload guard (Envoy's overload manager).
 */
export type ResponseFlag =
  | 'NR'
  | 'NC'
  | 'UH'
  | 'UF'
  | 'URX'
  | 'UC'
  | 'UPE'
  | 'UT'
  | 'UO'
  | 'DC'
  | 'FI'
  | 'DI'
  | 'RL'
  | 'LR'
  | 'OM'

/** Names of the `node:diagnostics_channel` channels the gateway publishes on. */
export const CHANNELS = {
  /** {@link RequestStartEvent}: a request arrived (published before routing). */
  requestStart: 'portico:request:start',
  /** {@link RequestEndEvent}: a request finished or was cut; one per request, the access-log record. */
  requestEnd: 'portico:request:end',
  /** {@link ConnectionEvent}: a TCP or TLS-passthrough connection was accepted for proxying. */
  connectionStart: 'portico:connection:start',
  /** {@link ConnectionEvent} with byte counts and flags: such a connection closed. */
  connectionEnd: 'portico:connection:end',
  /** {@link ConfigEvent}: a configuration change was applied or refused. */
  config: 'portico:config',
  /** {@link UpstreamConnectedEvent}: a connection to an upstream endpoint was opened. */
  upstreamConnected: 'portico:upstream:connected',
} as const

/** Published on `portico:upstream:connected`; the socket's `close` event ends the connection. */
export interface UpstreamConnectedEvent {
  readonly socket: Socket
  /** The endpoint's address (IPv6 without brackets) or host name. */
  readonly host: string
  readonly port: number
}

/** Published on `portico:request:start`. */
export interface RequestStartEvent {
  /** Epoch milliseconds. */
  readonly startTime: number
  readonly gatewayPort: number
  readonly scheme: 'http' | 'https'
  readonly method: string
  readonly path: string
  readonly authority: string | undefined
  readonly protocol: string
  /** Istio's `request_protocol`: `grpc` for `application/grpc*` requests, `http` otherwise. */
  readonly requestProtocol: 'http' | 'grpc'
}

/** Published on `portico:request:end`: everything an access-log line or a metric needs. */
export interface RequestEndEvent extends RequestStartEvent {
  /** Status sent downstream; 0 when nothing was sent. */
  readonly responseCode: number
  readonly responseFlags: readonly ResponseFlag[]
  /** Request body bytes read from the client. */
  readonly bytesReceived: number
  /** Response body bytes written to the client. */
  readonly bytesSent: number
  /** Milliseconds from arrival to the end of the response. */
  readonly durationMs: number
  /** Milliseconds from arrival to the response headers (`%RESPONSE_DURATION%`). */
  readonly responseDurationMs: number | undefined
  /** `x-envoy-upstream-service-time` of a proxied response. */
  readonly upstreamServiceTimeMs: number | undefined
  readonly userAgent: string | undefined
  readonly forwardedFor: string | undefined
  readonly requestId: string | undefined
  readonly downstreamRemoteAddress: string | undefined
  /** `address:port` the request arrived on (the listen address of its gateway port). */
  readonly downstreamLocalAddress: string | undefined
  /** SNI of a TLS connection. */
  readonly requestedServerName: string | undefined
  /** Route config and route that answered (`http.80`, `httpbin.0`). */
  readonly routeConfig: string | undefined
  readonly routeName: string | undefined
  /** Cluster name, e.g. `outbound|8000||httpbin.default.svc.cluster.local`. */
  readonly upstreamCluster: string | undefined
  /** Destination service FQDN and port (Istio's `destination_service`). */
  readonly destinationService: string | undefined
  readonly destinationPort: number | undefined
  readonly destinationSubset: string | undefined
  /** `address:port` of the last upstream endpoint tried. */
  readonly upstreamHost: string | undefined
  /** Attempts made upstream (1 + retries). */
  readonly attempts: number
}

/** Published on `portico:config`. */
export interface ConfigEvent {
  readonly ok: boolean
  readonly operation: string
  /** Version now served (unchanged when refused). */
  readonly version: number
  readonly diagnostics: readonly Diagnostic[]
}

/** Published on `portico:connection:start` and `portico:connection:end` (TCP and TLS passthrough). */
export interface ConnectionEvent {
  /** Epoch milliseconds. */
  readonly startTime: number
  readonly downstreamLocalAddress: string | undefined
  readonly downstreamRemoteAddress: string | undefined
  /** SNI, when the gateway terminated TLS for this connection. */
  readonly requestedServerName: string | undefined
  readonly upstreamCluster: string | undefined
  readonly destinationService: string | undefined
  readonly destinationPort: number | undefined
  readonly destinationSubset: string | undefined
  readonly upstreamHost: string | undefined
  /** Bytes read from the client (0 at start). */
  readonly bytesReceived: number
  /** Bytes written to the client (0 at start). */
  readonly bytesSent: number
  /** Milliseconds the connection lasted (0 at start). */
  readonly durationMs: number
  /** NC no cluster, UH no endpoint, UF upstream connection failure. */
  readonly responseFlags: readonly ResponseFlag[]
}
