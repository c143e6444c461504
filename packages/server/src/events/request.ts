import { channel } from 'node:diagnostics_channel'
import { type Cluster, type Endpoint, type RouteDecision, routeStatName } from '@portico/core'
import { hostPort } from './address.js'
import { CHANNELS, type RequestEndEvent, type RequestStartEvent, type ResponseFlag } from './channels.js'

const startChannel = channel(CHANNELS.requestStart)
const endChannel = channel(CHANNELS.requestEnd)

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
