import { channel } from 'node:diagnostics_channel'
import type { Socket } from 'node:net'
import {
  type Cluster,
  type Diagnostic,
  type Endpoint,
  type RouteDecision,
  routeStatName,
} from '@portico/core'

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

const connectionStartChannel = channel(CHANNELS.connectionStart)
const connectionEndChannel = channel(CHANNELS.connectionEnd)
const startChannel = channel(CHANNELS.requestStart)
const endChannel = channel(CHANNELS.requestEnd)
const configChannel = channel(CHANNELS.config)

interface Observed extends ResponseObservation {
  readonly start: number
  readonly base: RequestStartEvent
  readonly request: ObservableRequest
  remote: string | undefined
  localAddress: string | undefined
  localPort: number | undefined
  sni: string | undefined
  requestId: string | undefined
  flags: ResponseFlag[]
  bytesReceived: number
  routeConfig: string | undefined
  routeName: string | undefined
  cluster: Cluster | undefined
  clusterName: string | undefined
  upstreamHost: string | undefined
  attempts: number
  done: boolean
}

/**
 * The observation rides on the response object under a private symbol: a property every observed
 * response gets in the same order keeps one shape, where a WeakMap entry per request costs the
 * garbage collector an ephemeron each.
 */
const OBSERVED = Symbol('portico.observed')
type Carrier = { [OBSERVED]?: Observed }

function text(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value
}

function hostPort(address: string, port: number): string {
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address
  return plain.includes(':') ? `[${plain}]:${port}` : `${plain}:${port}`
}

function byteLength(chunk: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk)
  if (chunk instanceof Uint8Array) return chunk.byteLength
  return 0
}

/** What {@link observeRequest} reads of a request and its response. */
interface ObservableRequest {
  readonly method?: string | undefined
  readonly url?: string | undefined
  readonly httpVersion: string
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly socket: unknown
  push(chunk: unknown, encoding?: unknown): boolean
}
interface ObservableResponse {
  readonly statusCode: number
  readonly headersSent: boolean
  readonly writableFinished: boolean
  once(event: 'close', listener: () => void): unknown
}

/** True when someone subscribes to the per-request channels (otherwise observing costs nothing). */
export function observing(): boolean {
  return endChannel.hasSubscribers || startChannel.hasSubscribers
}

/** The part of an observed request the response writers fill in. */
export interface ResponseObservation {
  /** `performance.now()` when the response head was written. */
  headersAt: number | undefined
  upstreamServiceTime: number | undefined
  /** Response body bytes written. */
  bytesSent: number
}

/** Whether a request may carry a body (only then are its body bytes counted). */
function mayHaveBody(request: ObservableRequest): boolean {
  const h = request.headers
  const length = h['content-length']
  if (length !== undefined) return length !== '0'
  if (h['transfer-encoding'] !== undefined) return true
  if (request.httpVersion !== '2.0') return false
  const method = request.method
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS' && method !== 'DELETE'
}

/**
 * Starts observing one request (called by the handler as a request arrives). Does nothing when
 * no one subscribes to `portico:request:*`. Counts request body bytes without changing how the
 * stream flows; the response writers report the head and body bytes through
 * {@link observeResponse}; `portico:request:end` is published once when the response closes.
 */
export function observeRequest(
  req: object,
  res: object,
  gatewayPort: number,
  scheme: 'http' | 'https',
): void {
  if (!endChannel.hasSubscribers && !startChannel.hasSubscribers) return
  const request = req as ObservableRequest
  const response = res as ObservableResponse
  const h = request.headers
  const startTime = Date.now()
  const base: RequestStartEvent = {
    startTime,
    gatewayPort,
    scheme,
    method: request.method ?? 'GET',
    path: request.url ?? '/',
    authority: text(h[':authority']) ?? text(h.host),
    protocol: request.httpVersion === '2.0' ? 'HTTP/2' : `HTTP/${request.httpVersion}`,
    requestProtocol: text(h['content-type'])?.startsWith('application/grpc') === true ? 'grpc' : 'http',
  }
  const state: Observed = {
    start: performance.now(),
    base,
    request,
    remote: undefined,
    localAddress: undefined,
    localPort: undefined,
    sni: undefined,
    requestId: undefined,
    flags: [],
    bytesReceived: 0,
    bytesSent: 0,
    headersAt: undefined,
    upstreamServiceTime: undefined,
    routeConfig: undefined,
    routeName: undefined,
    cluster: undefined,
    clusterName: undefined,
    upstreamHost: undefined,
    attempts: 0,
    done: false,
  }
  // Socket addresses are read now (Node caches them; a closed socket no longer has them) and
  // formatted only when the request ends.
  const socket = request.socket as
    | {
        remoteAddress?: string
        localAddress?: string
        localPort?: number
        servername?: string | false | null
      }
    | undefined
  if (socket !== undefined) {
    state.remote = socket.remoteAddress
    state.localAddress = socket.localAddress
    state.localPort = socket.localPort
    if (typeof socket.servername === 'string') state.sni = socket.servername
  }
  ;(response as Carrier)[OBSERVED] = state
  if (startChannel.hasSubscribers) startChannel.publish(base)

  if (mayHaveBody(request)) {
    // A fixed-arity wrapper: `push` sees only body chunks (not every event, as `emit` would).
    const push = request.push
    request.push = function (this: unknown, chunk: unknown, encoding?: unknown) {
      if (chunk !== null) state.bytesReceived += byteLength(chunk)
      return push.call(this, chunk, encoding)
    }
  }
  response.once('close', () => finishRequest(response, state))
}

/**
 * The observation of a response being written, for its writer to fill in (head time, upstream
 * service time, body bytes); `undefined` when the request is not observed.
 */
export function observeResponse(res: object): ResponseObservation | undefined {
  const state = (res as Carrier)[OBSERVED]
  if (state === undefined) return undefined
  state.headersAt ??= performance.now()
  return state
}

function finishRequest(response: ObservableResponse, state: Observed): void {
  if (state.done) return
  state.done = true
  if (!response.writableFinished && !state.flags.includes('DC')) state.flags.push('DC')
  if (!endChannel.hasSubscribers) return
  const now = performance.now()
  const cluster = state.cluster
  const base = state.base
  const h = state.request.headers
  // Fields copied one by one: an object spread here costs tens of microseconds per request.
  const event: RequestEndEvent = {
    startTime: base.startTime,
    gatewayPort: base.gatewayPort,
    scheme: base.scheme,
    method: base.method,
    path: base.path,
    authority: base.authority,
    protocol: base.protocol,
    requestProtocol: base.requestProtocol,
    responseCode: response.headersSent ? response.statusCode : 0,
    responseFlags: state.flags,
    bytesReceived: state.bytesReceived,
    bytesSent: state.bytesSent,
    durationMs: now - state.start,
    responseDurationMs: state.headersAt === undefined ? undefined : state.headersAt - state.start,
    upstreamServiceTimeMs: state.upstreamServiceTime,
    userAgent: text(h['user-agent']),
    forwardedFor: text(h['x-forwarded-for']),
    requestId: state.requestId ?? text(h['x-request-id']),
    downstreamRemoteAddress: state.remote?.startsWith('::ffff:') ? state.remote.slice(7) : state.remote,
    downstreamLocalAddress:
      state.localPort === undefined ? undefined : hostPort(state.localAddress ?? '', state.localPort),
    requestedServerName: state.sni,
    routeConfig: state.routeConfig,
    routeName: state.routeName,
    upstreamCluster: state.clusterName,
    destinationService: cluster?.host,
    destinationPort: cluster?.port,
    destinationSubset: cluster?.subset,
    upstreamHost: state.upstreamHost,
    attempts: state.attempts,
  }
  endChannel.publish(event)
}

/** Records the router's decision for an observed request (NR for a 404 without route). */
export function observeDecision(response: object, decision: RouteDecision): void {
  const state = (response as Carrier)[OBSERVED]
  if (state === undefined) return
  state.routeConfig = decision.routeConfig
  if (decision.kind === 'notFound') state.flags.push('NR')
  const origin = decision.kind === 'notFound' || decision.kind === 'reject' ? undefined : decision.origin
  if (origin !== undefined) state.routeName = routeStatName(origin)
  if (decision.kind === 'route') {
    const first = decision.forward.destinations[0]
    if (first !== undefined) state.clusterName = first.clusterName
  }
}

/** Records the cluster chosen for an observed request (before any endpoint is tried). */
export function observeCluster(response: object, clusterName: string, cluster: Cluster | undefined): void {
  const state = (response as Carrier)[OBSERVED]
  if (state === undefined) return
  state.clusterName = clusterName
  state.cluster = cluster
}

/** Records one upstream attempt of an observed request. */
export function observeAttempt(response: object, endpoint: Endpoint, requestId: string | undefined): void {
  const state = (response as Carrier)[OBSERVED]
  if (state === undefined) return
  state.attempts++
  state.upstreamHost = hostPort(endpoint.address, endpoint.port)
  if (requestId !== undefined) state.requestId ??= requestId
}

/** Adds a response flag to an observed request. */
export function observeFlag(response: object, flag: ResponseFlag): void {
  const state = (response as Carrier)[OBSERVED]
  if (state !== undefined && !state.flags.includes(flag)) state.flags.push(flag)
}

/**
 * Records why an observed request's upstream attempts failed (`failure` as the forwarder names
 * it): UF for connection failures, UC for resets, UPE for protocol errors, UT for timeouts, and
 * URX when every allowed attempt was used.
 */
export function observeUpstreamFailure(
  response: object,
  failure: string | undefined,
  maxAttempts: number,
): void {
  const state = (response as Carrier)[OBSERVED]
  if (state === undefined) return
  const flag: ResponseFlag =
    failure === 'connect' || failure === 'timeout-connect'
      ? 'UF'
      : failure === 'protocol'
        ? 'UPE'
        : failure === 'route-timeout' || failure === 'per-try-timeout'
          ? 'UT'
          : 'UC'
  if (!state.flags.includes(flag)) state.flags.push(flag)
  if (flag !== 'UT' && maxAttempts > 1 && state.attempts >= maxAttempts) state.flags.push('URX')
}

interface ObservableSocket {
  readonly remoteAddress?: string | undefined
  readonly localAddress?: string | undefined
  readonly localPort?: number | undefined
  readonly bytesRead: number
  readonly bytesWritten: number
  once(event: 'close' | 'connect', listener: () => void): unknown
}

type ConnectionBase = Omit<ConnectionEvent, 'bytesReceived' | 'bytesSent' | 'durationMs' | 'responseFlags'>

/** Builds a connection event field by field (object spreads are slow on this path). */
function connectionEvent(
  base: ConnectionBase,
  bytesReceived: number,
  bytesSent: number,
  durationMs: number,
  responseFlags: readonly ResponseFlag[],
): ConnectionEvent {
  return {
    startTime: base.startTime,
    downstreamLocalAddress: base.downstreamLocalAddress,
    downstreamRemoteAddress: base.downstreamRemoteAddress,
    requestedServerName: base.requestedServerName,
    upstreamCluster: base.upstreamCluster,
    destinationService: base.destinationService,
    destinationPort: base.destinationPort,
    destinationSubset: base.destinationSubset,
    upstreamHost: base.upstreamHost,
    bytesReceived,
    bytesSent,
    durationMs,
    responseFlags,
  }
}

/**
 * Observes one proxied TCP or TLS-passthrough connection (called by the L4 proxy with the upstream
 * socket it opened, or without one when there was no cluster or endpoint). Publishes
 * `portico:connection:start` now and `portico:connection:end` when the client connection closes.
 */
export function observeConnection(
  client: object,
  upstream: object | undefined,
  clusterName: string | undefined,
  cluster: Cluster | undefined,
  endpoint: Endpoint | undefined,
): void {
  if (!connectionEndChannel.hasSubscribers && !connectionStartChannel.hasSubscribers) return
  const socket = client as ObservableSocket & { servername?: string | false | null }
  const start = performance.now()
  const base: ConnectionBase = {
    startTime: Date.now(),
    downstreamLocalAddress:
      socket.localPort === undefined ? undefined : hostPort(socket.localAddress ?? '', socket.localPort),
    downstreamRemoteAddress: socket.remoteAddress?.replace(/^::ffff:/, ''),
    requestedServerName: typeof socket.servername === 'string' ? socket.servername : undefined,
    upstreamCluster: clusterName,
    destinationService: cluster?.host,
    destinationPort: cluster?.port,
    destinationSubset: cluster?.subset,
    upstreamHost: endpoint === undefined ? undefined : hostPort(endpoint.address, endpoint.port),
  }
  const flags: ResponseFlag[] = []
  if (upstream === undefined) flags.push(cluster === undefined ? 'NC' : 'UH')
  if (connectionStartChannel.hasSubscribers) {
    connectionStartChannel.publish(connectionEvent(base, 0, 0, 0, flags))
  }
  let connected = false
  ;(upstream as ObservableSocket | undefined)?.once('connect', () => {
    connected = true
  })
  socket.once('close', () => {
    if (upstream !== undefined && !connected) flags.push('UF')
    if (!connectionEndChannel.hasSubscribers) return
    connectionEndChannel.publish(
      connectionEvent(base, socket.bytesRead, socket.bytesWritten, performance.now() - start, flags),
    )
  })
}

/** Publishes a configuration change on `portico:config`. */
export function publishConfig(event: ConfigEvent): void {
  if (configChannel.hasSubscribers) configChannel.publish(event)
}
