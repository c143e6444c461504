import { channel } from 'node:diagnostics_channel'
import { ServerResponse } from 'node:http'
import {
  type Cluster,
  type Endpoint,
  type RouteDecision,
  type RouteOrigin,
  routeStatName,
} from '@portico/core'
import { connectionAddresses, endpointHostPort, localHostPort } from './address.js'
import { CHANNELS, type RequestEndEvent, type RequestStartEvent, type ResponseFlag } from './channels.js'

const startChannel = channel(CHANNELS.requestStart)
const endChannel = channel(CHANNELS.requestEnd)

/** The fields of a finished request that its metrics read (a subset of {@link RequestEndEvent}). */
export type RequestFigures = Pick<
  RequestEndEvent,
  | 'gatewayPort'
  | 'requestProtocol'
  | 'responseCode'
  | 'responseFlags'
  | 'bytesReceived'
  | 'bytesSent'
  | 'durationMs'
  | 'downstreamLocalAddress'
  | 'routeConfig'
  | 'routeName'
  | 'upstreamCluster'
  | 'destinationService'
  | 'destinationPort'
  | 'destinationSubset'
>

/**
 * A consumer of requests inside the gateway (its metrics). It is handed the observation itself:
 * no event object is built for it, where a `portico:request:end` subscriber gets a fresh
 * {@link RequestEndEvent} per request.
 */
export interface RequestRecorder {
  /** A request arrived. */
  started(): void
  /** A request ended (once per request); `figures` is valid during the call only. */
  ended(figures: RequestFigures): void
}

const recorders: RequestRecorder[] = []

/** Hands every request observed from now on to `recorder` (until {@link removeRequestRecorder}). */
export function addRequestRecorder(recorder: RequestRecorder): void {
  recorders.push(recorder)
}

/** Stops handing requests to `recorder`. */
export function removeRequestRecorder(recorder: RequestRecorder): void {
  const at = recorders.indexOf(recorder)
  if (at >= 0) recorders.splice(at, 1)
}

/**
 * One request being observed, from arrival to its end. A class: every observation has the same
 * shape, and the fields metrics read carry the names of {@link RequestEndEvent}'s, so that the
 * observation itself is what a {@link RequestRecorder} reads.
 */
class Observed implements ResponseObservation, RequestFigures {
  readonly start = performance.now()
  readonly startTime = Date.now()
  remote: string | undefined = undefined
  localAddress: string | undefined = undefined
  localPort: number | undefined = undefined
  sni: string | undefined = undefined
  requestId: string | undefined = undefined
  readonly responseFlags: ResponseFlag[] = []
  bytesReceived = 0
  bytesSent = 0
  headersAt: number | undefined = undefined
  upstreamServiceTime: number | undefined = undefined
  routeConfig: string | undefined = undefined
  routeName: string | undefined = undefined
  upstreamCluster: string | undefined = undefined
  destinationService: string | undefined = undefined
  destinationPort: number | undefined = undefined
  destinationSubset: string | undefined = undefined
  upstreamHost: string | undefined = undefined
  attempts = 0
  done = false
  /** Set when the request ends. */
  responseCode = 0
  durationMs = 0
  downstreamLocalAddress: string | undefined = undefined

  constructor(
    readonly request: ObservableRequest,
    readonly gatewayPort: number,
    readonly scheme: 'http' | 'https',
    readonly protocol: string,
    readonly requestProtocol: 'http' | 'grpc',
  ) {}

  /** The request-start event's fields. */
  startEvent(): RequestStartEvent {
    const request = this.request
    const h = request.headers
    return {
      startTime: this.startTime,
      gatewayPort: this.gatewayPort,
      scheme: this.scheme,
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      authority: text(h[':authority']) ?? text(h.host),
      protocol: this.protocol,
      requestProtocol: this.requestProtocol,
    }
  }
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
  on(event: 'close', listener: () => void): unknown
  once(event: 'close', listener: () => void): unknown
}

/**
 * True when someone observes requests: a recorder or a subscriber to the per-request channels
 * (otherwise observing costs nothing).
 */
export function observing(): boolean {
  return recorders.length > 0 || endChannel.hasSubscribers || startChannel.hasSubscribers
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

function protocolOf(httpVersion: string): string {
  return httpVersion === '1.1' ? 'HTTP/1.1' : httpVersion === '2.0' ? 'HTTP/2' : `HTTP/${httpVersion}`
}

/**
 * Starts observing one request (called by the handler as a request arrives). Does nothing when
 * no recorder observes requests and no one subscribes to `portico:request:*`. Counts request
 * body bytes without changing how the stream flows; the response writers report the head and
 * body bytes through {@link observeResponse}; the request ends once, when the response closes.
 */
export function observeRequest(
  req: object,
  res: object,
  gatewayPort: number,
  scheme: 'http' | 'https',
): void {
  if (recorders.length === 0 && !endChannel.hasSubscribers && !startChannel.hasSubscribers) return
  const request = req as ObservableRequest
  const response = res as ObservableResponse
  const contentType = request.headers['content-type']
  const state = new Observed(
    request,
    gatewayPort,
    scheme,
    protocolOf(request.httpVersion),
    contentType !== undefined && text(contentType)?.startsWith('application/grpc') === true ? 'grpc' : 'http',
  )
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
    if (request.httpVersion !== '2.0') {
      // node:http's request: its socket is the connection's own, which keeps its addresses.
      const addresses = connectionAddresses(socket)
      state.remote = addresses.remoteAddress
      state.localAddress = addresses.localAddress
      state.localPort = addresses.localPort
      state.sni = addresses.servername
    } else {
      state.remote = socket.remoteAddress
      state.localAddress = socket.localAddress
      state.localPort = socket.localPort
      if (typeof socket.servername === 'string') state.sni = socket.servername
    }
  }
  ;(response as Carrier)[OBSERVED] = state
  for (let i = 0; i < recorders.length; i++) recorders[i]!.started()
  if (startChannel.hasSubscribers) startChannel.publish(state.startEvent())

  if (mayHaveBody(request)) {
    // A fixed-arity wrapper: `push` sees only body chunks (not every event, as `emit` would).
    const push = request.push
    request.push = function (this: unknown, chunk: unknown, encoding?: unknown) {
      if (chunk !== null) state.bytesReceived += byteLength(chunk)
      return push.call(this, chunk, encoding)
    }
  }
  // node:http calls a response's listeners with the response as `this`: one shared function
  // serves every response, where a closure (and `once`'s wrapper) would be allocated per request.
  if (response instanceof ServerResponse) response.on('close', onResponseClose)
  else response.once('close', () => finishRequest(response, state))
}

function onResponseClose(this: ObservableResponse & Carrier): void {
  const state = this[OBSERVED]
  if (state !== undefined) finishRequest(this, state)
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
  const flags = state.responseFlags
  if (!response.writableFinished && !flags.includes('DC')) flags.push('DC')
  const published = endChannel.hasSubscribers
  if (recorders.length === 0 && !published) return
  state.responseCode = response.headersSent ? response.statusCode : 0
  state.durationMs = performance.now() - state.start
  state.downstreamLocalAddress =
    state.localPort === undefined ? undefined : localHostPort(state.localAddress ?? '', state.localPort)
  for (let i = 0; i < recorders.length; i++) recorders[i]!.ended(state)
  if (published) endChannel.publish(endEvent(state))
}

/** The `portico:request:end` event of a finished observation. */
function endEvent(state: Observed): RequestEndEvent {
  const request = state.request
  const h = request.headers
  // Fields copied one by one: an object spread here costs tens of microseconds per request.
  return {
    startTime: state.startTime,
    gatewayPort: state.gatewayPort,
    scheme: state.scheme,
    method: request.method ?? 'GET',
    path: request.url ?? '/',
    authority: text(h[':authority']) ?? text(h.host),
    protocol: state.protocol,
    requestProtocol: state.requestProtocol,
    responseCode: state.responseCode,
    responseFlags: state.responseFlags,
    bytesReceived: state.bytesReceived,
    bytesSent: state.bytesSent,
    durationMs: state.durationMs,
    responseDurationMs: state.headersAt === undefined ? undefined : state.headersAt - state.start,
    upstreamServiceTimeMs: state.upstreamServiceTime,
    userAgent: text(h['user-agent']),
    forwardedFor: text(h['x-forwarded-for']),
    requestId: state.requestId ?? text(h['x-request-id']),
    downstreamRemoteAddress: state.remote?.startsWith('::ffff:') ? state.remote.slice(7) : state.remote,
    downstreamLocalAddress: state.downstreamLocalAddress,
    requestedServerName: state.sni,
    routeConfig: state.routeConfig,
    routeName: state.routeName,
    upstreamCluster: state.upstreamCluster,
    destinationService: state.destinationService,
    destinationPort: state.destinationPort,
    destinationSubset: state.destinationSubset,
    upstreamHost: state.upstreamHost,
    attempts: state.attempts,
  }
}

/** Records the router's decision for an observed request (NR for a 404 without route). */
export function observeDecision(response: object, decision: RouteDecision): void {
  const state = (response as Carrier)[OBSERVED]
  if (state === undefined) return
  state.routeConfig = decision.routeConfig
  if (decision.kind === 'notFound') state.responseFlags.push('NR')
  const origin = decision.kind === 'notFound' || decision.kind === 'reject' ? undefined : decision.origin
  if (origin !== undefined) state.routeName = routeName(origin)
  if (decision.kind === 'route') {
    const first = decision.forward.destinations[0]
    if (first !== undefined) state.upstreamCluster = first.clusterName
  }
}

/** Records the cluster chosen for an observed request (before any endpoint is tried). */
export function observeCluster(response: object, clusterName: string, cluster: Cluster | undefined): void {
  const state = (response as Carrier)[OBSERVED]
  if (state === undefined) return
  state.upstreamCluster = clusterName
  state.destinationService = cluster?.host
  state.destinationPort = cluster?.port
  state.destinationSubset = cluster?.subset
}

/** Records one upstream attempt of an observed request. */
export function observeAttempt(response: object, endpoint: Endpoint, requestId: string | undefined): void {
  const state = (response as Carrier)[OBSERVED]
  if (state === undefined) return
  state.attempts++
  state.upstreamHost = endpointHostPort(endpoint)
  if (requestId !== undefined) state.requestId ??= requestId
}

/** Adds a response flag to an observed request. */
export function observeFlag(response: object, flag: ResponseFlag): void {
  const state = (response as Carrier)[OBSERVED]
  if (state !== undefined && !state.responseFlags.includes(flag)) state.responseFlags.push(flag)
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
  const flags = state.responseFlags
  if (!flags.includes(flag)) flags.push(flag)
  if (flag !== 'UT' && maxAttempts > 1 && state.attempts >= maxAttempts) flags.push('URX')
}

/** A route's stat name per compiled route (a name built per request would be a new string each time). */
const routeNames = new WeakMap<RouteOrigin, string>()

function routeName(origin: RouteOrigin): string {
  let name = routeNames.get(origin)
  if (name === undefined) {
    name = routeStatName(origin)
    routeNames.set(origin, name)
  }
  return name
}
