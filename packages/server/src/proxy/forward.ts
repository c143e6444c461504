import {
  type Cluster,
  type CompiledConfig,
  type Endpoint,
  type ForwardDecision,
  type HeaderOpSet,
  pickDestination,
} from '@portico/core'
import {
  observeAttempt,
  observeCluster,
  observeFlag,
  observeResponse,
  observeUpstreamFailure,
  type ResponseObservation,
} from '../events/request.js'
import type { Downstream, HeaderRecord, Logger, Upstreamable } from '../types.js'
import type { CircuitBreaker } from '../upstream/breakers.js'
import {
  type ResponseSink,
  type UpstreamBody,
  UpstreamError,
  type UpstreamResponse,
} from '../upstream/h1-client.js'
import { speaksH2, type UpstreamPools } from '../upstream/pools.js'
import type { Balancer, HashInput } from './balancer.js'
import {
  appendForwardedFor,
  applyHeaderOps,
  endToEnd,
  ensureRequestId,
  type FormatVars,
  REQUEST_DROP,
} from './headers.js'
import { LOCAL_BODY, localReply } from './local-reply.js'
import {
  type AttemptFailure,
  avoidsPreviousHosts,
  DEFAULT_BACKOFF_BASE_MS,
  retriesFailure,
  retriesStatus,
  retryBackoffMs,
} from './retry.js'

/** Envoy's header on a reply to a request a circuit breaker dropped. */
const OVERLOADED: HeaderRecord = { 'x-envoy-overloaded': 'true' }

/** A mirrored request is abandoned after this long. */
const MIRROR_TIMEOUT_MS = 60_000

/** Bodies up to this size are buffered so that a retry or a mirror can replay them. */
export const REPLAY_LIMIT = 64 * 1024

/** Shared pieces a forward needs. */
export interface ForwardContext {
  readonly pools: UpstreamPools
  readonly balancer: Balancer
  readonly serverHeader: string | false
  readonly logger: Logger
  /** Source of the back-off draws between attempts, in `[0, 1)`; default `Math.random`. */
  readonly random?: () => number
}

/** Per-request facts the forward needs beyond the decision. */
export interface ForwardRequest {
  readonly req: Upstreamable
  readonly res: Downstream
  readonly scheme: 'http' | 'https'
  readonly peer: string | undefined
  /** The trusted client address (`numTrustedProxies` hops into x-forwarded-for); default `peer`. */
  readonly client?: string | undefined
  readonly hasBody: boolean
  /** `HTTP/1.1` or `HTTP/2`, for the `%PROTOCOL%` formatter. */
  readonly protocol?: string
}

interface AttemptError {
  readonly failure: AttemptFailure
  readonly detail: string
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
])

const PROTOCOL_CODES = new Set([
  'UND_ERR_HEADERS_OVERFLOW',
  'UND_ERR_INVALID_ARG',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_EXCEEDED_MAX_SIZE',
])

/**
 * A one-shot cancellation flag with plain listeners: the per-request "downstream gone", "route
 * timed out" and per-attempt states, without an AbortController and EventTarget each. undici
 * takes it as a request `signal` (an EventEmitter-like object with `aborted` and `reason`).
 */
class Trip {
  aborted = false
  reason: unknown
  #listeners: (() => void)[] | undefined

  abort(reason?: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    const listeners = this.#listeners
    this.#listeners = undefined
    if (listeners !== undefined) for (const listener of listeners) listener()
  }

  on(_event: 'abort', listener: () => void): this {
    this.#add(listener)
    return this
  }

  once(_event: 'abort', listener: () => void): this {
    this.#add(listener)
    return this
  }

  removeListener(_event: 'abort', listener: () => void): this {
    this.#remove(listener)
    return this
  }

  #add(listener: () => void): void {
    if (this.aborted) return
    if (this.#listeners === undefined) this.#listeners = [listener]
    else this.#listeners.push(listener)
  }

  #remove(listener: () => void): void {
    const listeners = this.#listeners
    if (listeners === undefined) return
    const i = listeners.indexOf(listener)
    if (i >= 0) listeners.splice(i, 1)
  }
}

/** A route timer that never fires (no route timeout): keeps no listeners. */
class NeverTrip extends Trip {
  override on(): this {
    return this
  }

  override once(): this {
    return this
  }

  override removeListener(): this {
    return this
  }
}
const NEVER: Trip = new NeverTrip()

function classify(error: unknown, signal: Trip): AttemptError {
  if (signal.aborted) {
    const reason = signal.reason as { failure?: AttemptFailure } | undefined
    return { failure: reason?.failure ?? 'aborted', detail: 'aborted' }
  }
  if (error instanceof UpstreamError) {
    switch (error.kind) {
      case 'connect':
        return { failure: 'connect', detail: `connection failure (${error.code ?? 'error'})` }
      case 'timeout-connect':
        return { failure: 'timeout-connect', detail: 'connection timeout' }
      case 'protocol':
        return { failure: 'protocol', detail: 'protocol error' }
      case 'aborted':
        return { failure: 'aborted', detail: 'aborted' }
      case 'overflow':
        return { failure: 'overflow', detail: 'overflow' }
      default:
        return { failure: 'reset', detail: 'connection termination' }
    }
  }
  const code = (error as { code?: string } | undefined)?.code ?? ''
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { failure: 'timeout-connect', detail: 'connection timeout' }
  if (CONNECT_CODES.has(code)) return { failure: 'connect', detail: `connection failure (${code})` }
  // undici's HTTPParserError often carries no code: match it by name (garbage, bare CR → 502 UPE).
  const name = (error as { name?: string } | undefined)?.name
  if (code.startsWith('HPE_') || PROTOCOL_CODES.has(code) || name === 'HTTPParserError') {
    return { failure: 'protocol', detail: 'protocol error' }
  }
  return { failure: 'reset', detail: 'connection termination' }
}

/** Waits `ms`, or less when either trip fires first. */
function sleep(ms: number, trip: Trip, other?: Trip): Promise<void> {
  return new Promise((resolve) => {
    if (trip.aborted || other?.aborted === true) return resolve()
    const done = () => {
      clearTimeout(timer)
      trip.removeListener('abort', done)
      other?.removeListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    trip.once('abort', done)
    other?.once('abort', done)
  })
}

/** Reads a small request body whole; `undefined` when the client went away mid-body. */
function readBody(req: Upstreamable): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.once('end', () => resolve(Buffer.concat(chunks)))
    req.once('error', () => resolve(undefined))
    req.once('aborted', () => resolve(undefined))
    req.once('close', () => {
      if (!req.complete) resolve(undefined)
    })
  })
}

function headerText(headers: Upstreamable['headers'], name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value.join(',') : value
}

function hashInput(req: Upstreamable, path: string, peer: string | undefined): HashInput {
  return {
    sourceAddress: peer,
    header: (name) => headerText(req.headers, name),
    cookie: (name) => {
      const cookie = headerText(req.headers, 'cookie')
      if (cookie === undefined) return undefined
      for (const part of cookie.split(';')) {
        const eq = part.indexOf('=')
        if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
      }
      return undefined
    },
    queryParam: (name) => {
      const q = path.indexOf('?')
      return q < 0 ? undefined : (new URLSearchParams(path.slice(q + 1)).get(name) ?? undefined)
    },
  }
}

/**
 * Executes a forward decision: CORS, fault injection, destination choice, mirrors, then attempts
 * with retries and timeouts, streaming bodies both ways with backpressure. Local replies follow
 * Envoy (503 NC/UH/UF, 504 UT, 502 on protocol errors). Never throws.
 */
export async function forward(
  ctx: ForwardContext,
  config: CompiledConfig,
  decision: ForwardDecision,
  request: ForwardRequest,
): Promise<void> {
  const { req, res } = request
  const spec = decision.forward
  const server = ctx.serverHeader
  const downstreamGone = new Trip()
  const onClose = () => {
    if (cutShort(req, res)) downstreamGone.abort()
  }
  res.on('close', onClose)
  // HTTP/2: a stream reset in the same read as its HEADERS is closed before the request event.
  if (alreadyGone(req, res)) {
    res.removeListener('close', onClose)
    return
  }

  // CORS: preflights are answered here; actual requests get headers on the response.
  let corsHeaders: HeaderRecord | undefined
  const origin = headerText(req.headers, 'origin')
  if (spec.cors !== undefined && origin !== undefined && origin !== '') {
    const cors = spec.cors
    const allowed = cors.allowsOrigin(origin) || cors.allowsOrigin('*')
    const requestMethod = headerText(req.headers, 'access-control-request-method')
    if (req.method === 'OPTIONS' && requestMethod !== undefined && requestMethod !== '') {
      if (allowed) {
        const h: HeaderRecord = { 'access-control-allow-origin': origin }
        if (cors.allowCredentials) h['access-control-allow-credentials'] = 'true'
        if (cors.allowMethods !== undefined) {
          h['access-control-allow-methods'] = cors.allowMethods === '*' ? requestMethod : cors.allowMethods
        }
        if (cors.allowHeaders !== undefined) {
          const asked = headerText(req.headers, 'access-control-request-headers')
          const value = cors.allowHeaders === '*' ? asked : cors.allowHeaders
          if (value !== undefined) h['access-control-allow-headers'] = value
        }
        if (cors.maxAgeSeconds !== undefined) h['access-control-max-age'] = String(cors.maxAgeSeconds)
        return localReply(res, 200, server, undefined, undefined, h)
      }
      if (cors.unmatchedPreflights === 'IGNORE') return localReply(res, 200, server)
    } else if (allowed) {
      corsHeaders = { 'access-control-allow-origin': origin }
      if (cors.allowCredentials) corsHeaders['access-control-allow-credentials'] = 'true'
      if (cors.exposeHeaders !== undefined) corsHeaders['access-control-expose-headers'] = cors.exposeHeaders
    }
  }

  // Fault injection: independent draws, delay first.
  const fault = spec.fault
  if (fault?.delay !== undefined && Math.random() * 100 < fault.delay.percent) {
    observeFlag(res, 'DI')
    await sleep(fault.delay.ms, downstreamGone)
    if (downstreamGone.aborted) return
  }
  if (fault?.abort !== undefined && Math.random() * 100 < fault.abort.percent) {
    observeFlag(res, 'FI')
    return localReply(res, fault.abort.status, server, LOCAL_BODY.faultAbort)
  }

  const destination = pickDestination(spec, Math.random())
  // A Gateway API backendRef that does not resolve: its share of the requests gets 500.
  if (destination?.invalid === true) return localReply(res, 500, server)
  const cluster = destination === undefined ? undefined : config.clusters.get(destination.clusterName)
  if (destination !== undefined) observeCluster(res, destination.clusterName, cluster)
  if (destination === undefined || cluster === undefined) {
    observeFlag(res, 'NC')
    return localReply(res, 503, server)
  }
  if (cluster.endpoints.length === 0) {
    observeFlag(res, 'UH')
    return localReply(res, 503, server, LOCAL_BODY.noHealthyUpstream)
  }

  const client = request.client ?? request.peer
  const vars = { remoteAddress: client, protocol: request.protocol }
  const requestOps: HeaderOpSet[] = [spec.headers.request, destination.headers.request]
  const responseOps: HeaderOpSet[] = [spec.headers.response, destination.headers.response]

  // Upstream request headers.
  const headers = endToEnd(req.headers, REQUEST_DROP)
  appendForwardedFor(headers, request.peer)
  headers['x-forwarded-proto'] = request.scheme
  ensureRequestId(headers)
  if (decision.upstreamPath !== decision.path) headers['x-envoy-original-path'] = decision.path
  let authority = decision.upstreamAuthority
  applyHeaderOps(headers, requestOps, vars)
  const hostOverride = headers.host ?? headers[':authority']
  if (hostOverride !== undefined) {
    authority = Array.isArray(hostOverride) ? (hostOverride[0] ?? authority) : hostOverride
    delete headers[':authority']
  }
  headers.host = authority
  // gRPC servers require `te: trailers`, the one TE value HTTP/2 allows.
  if (speaksH2(cluster) && headerText(req.headers, 'te')?.toLowerCase() === 'trailers')
    headers.te = 'trailers'

  // Body: none, buffered (replayable), or streamed (one attempt).
  let body: Buffer | Upstreamable | undefined
  let replayable = true
  if (request.hasBody) {
    const length = Number(headerText(req.headers, 'content-length') ?? Number.NaN)
    if (Number.isFinite(length) && length <= REPLAY_LIMIT) {
      const buffered = await readBody(req)
      if (buffered === undefined) return
      body = buffered
      headers['content-length'] = String(buffered.byteLength)
    } else {
      body = req
      replayable = false
    }
  }

  const method = req.method ?? 'GET'
  // Only consistent hashing reads the request; other policies skip building the accessors.
  const input =
    cluster.trafficPolicy.loadBalancer.kind === 'CONSISTENT_HASH' || spec.mirrors.length > 0
      ? hashInput(req, decision.path, client)
      : undefined
  for (const mirror of spec.mirrors) {
    if (!replayable || !(Math.random() * 100 < mirror.percent)) continue
    const target = config.clusters.get(mirror.clusterName)
    if (target !== undefined)
      fireMirror(ctx, target, input, method, decision.upstreamPath, headers, body as Buffer)
  }

  const policy = spec.retries
  const maxAttempts = replayable ? 1 + Math.max(0, policy.attempts) : 1
  const avoidPrevious = avoidsPreviousHosts(
    policy,
    cluster.trafficPolicy.loadBalancer.kind === 'CONSISTENT_HASH',
  )
  let routeTimer = NEVER
  let routeTimeout: NodeJS.Timeout | undefined
  if (spec.timeoutMs !== undefined && spec.timeoutMs > 0) {
    const timer = new Trip()
    routeTimer = timer
    routeTimeout = setTimeout(() => timer.abort({ failure: 'route-timeout' }), spec.timeoutMs)
  }
  const started = performance.now()
  // Endpoints already tried, for Envoy's previous-hosts predicate; built only when retrying.
  let tried: Set<Endpoint> | undefined
  let hasRetried = false
  let previous: Endpoint | undefined
  let lastError: AttemptError | undefined
  let setCookie: string | undefined
  /** The circuit breaker whose retry slot this request holds (taken per retry, as Envoy). */
  let retrySlot: CircuitBreaker | undefined
  try {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (downstreamGone.aborted) return
      if (attempt > 1) {
        const base = policy.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS
        await sleep(retryBackoffMs(attempt - 2, base, ctx.random ?? Math.random), routeTimer, downstreamGone)
        if (downstreamGone.aborted) return
        if (routeTimer.aborted) break
      }
      if (previous !== undefined) {
        hasRetried = true
        if (avoidPrevious) {
          tried ??= new Set()
          tried.add(previous)
        }
      }
      const pick = ctx.balancer.pick(cluster, input, tried)
      if (pick === undefined) {
        observeFlag(res, 'UH')
        return localReply(res, 503, server, LOCAL_BODY.noHealthyUpstream)
      }
      if (pick.setCookie !== undefined) setCookie = pick.setCookie
      previous = pick.endpoint
      const controller = new Trip()
      const abortAttempt = (reason: unknown) => controller.abort(reason)
      const onRoute = () => abortAttempt(routeTimer.reason)
      const onGone = () => abortAttempt({ failure: 'aborted' })
      if (routeTimer.aborted) break
      routeTimer.once('abort', onRoute)
      downstreamGone.once('abort', onGone)
      let perTry: NodeJS.Timeout | undefined
      if (policy.perTryTimeoutMs !== undefined && policy.perTryTimeoutMs > 0) {
        perTry = setTimeout(() => abortAttempt({ failure: 'per-try-timeout' }), policy.perTryTimeoutMs)
      }
      headers['x-envoy-attempt-count'] = String(attempt)
      observeAttempt(res, pick.endpoint, headers['x-request-id'] as string | undefined)
      ctx.balancer.acquire(pick.endpoint)
      let response: UpstreamResponse | undefined
      try {
        response = await ctx.pools.get(cluster, pick.endpoint).request({
          path: decision.upstreamPath,
          method,
          headers,
          body: body ?? null,
          signal: controller,
        })
      } catch (error) {
        lastError = classify(error, controller)
      } finally {
        clearTimeout(perTry)
        downstreamGone.removeListener('abort', onGone)
        if (response === undefined) {
          ctx.balancer.release(pick.endpoint)
          routeTimer.removeListener('abort', onRoute)
        }
      }
      if (response === undefined) {
        const failure = lastError?.failure
        if (failure === 'connect' || failure === 'timeout-connect' || failure === 'reset') {
          ctx.balancer.report(cluster, pick.endpoint, 'gateway-error')
        } else if (failure === 'protocol') {
          ctx.balancer.report(cluster, pick.endpoint, 'error')
        }
        if (failure === 'aborted') return
        if (failure === 'route-timeout' || failure === 'overflow') break
        if (attempt < maxAttempts && failure !== undefined && retriesFailure(policy, failure)) {
          // DestinationRule maxRetries: a retry beyond the cluster's outstanding retries is not
          // made; the failure is answered as it is, flagged UO (Envoy's retry overflow).
          retrySlot?.releaseRetry()
          retrySlot = ctx.pools.breaker(cluster)
          if (retrySlot === undefined || retrySlot.takeRetry()) continue
          retrySlot = undefined
          observeFlag(res, 'UO')
        }
        break
      }
      const status = response.statusCode
      ctx.balancer.report(
        cluster,
        pick.endpoint,
        status === 502 || status === 503 || status === 504
          ? 'gateway-error'
          : status >= 500
            ? 'error'
            : 'success',
      )
      if (attempt < maxAttempts && retriesStatus(policy, response.statusCode, response.headers)) {
        retrySlot?.releaseRetry()
        retrySlot = ctx.pools.breaker(cluster)
        if (retrySlot === undefined || retrySlot.takeRetry()) {
          ctx.balancer.release(pick.endpoint)
          routeTimer.removeListener('abort', onRoute)
          response.body.dump()
          lastError = undefined
          continue
        }
        // Retry overflow: the upstream's answer goes to the client, flagged UO.
        retrySlot = undefined
        observeFlag(res, 'UO')
      }
      const endpoint = pick.endpoint
      await relay(ctx, res, response, {
        req,
        started,
        responseOps,
        vars,
        corsHeaders,
        setCookie,
        signal: controller,
      })
      ctx.balancer.release(endpoint)
      routeTimer.removeListener('abort', onRoute)
      return
    }
    if (downstreamGone.aborted) return
    const failure = routeTimer.aborted ? 'route-timeout' : lastError?.failure
    if (failure === 'overflow') {
      // A circuit breaker refused the request (Envoy's pool overflow): 503 UO, x-envoy-overloaded.
      observeFlag(res, 'UO')
      const prefix = hasRetried ? 'retried and the latest reset reason: ' : 'reset reason: '
      return localReply(
        res,
        503,
        server,
        `${LOCAL_BODY.connectError}${prefix}overflow`,
        undefined,
        OVERLOADED,
      )
    }
    observeUpstreamFailure(res, failure, maxAttempts)
    if (failure === 'route-timeout' || failure === 'per-try-timeout') {
      return localReply(res, 504, server, LOCAL_BODY.timeout)
    }
    const retried = maxAttempts > 1 ? 'retried and the latest reset reason: ' : 'reset reason: '
    const detail = lastError?.detail ?? 'connection termination'
    const status = failure === 'protocol' ? 502 : 503
    return localReply(res, status, server, `${LOCAL_BODY.connectError}${retried}${detail}`)
  } finally {
    retrySlot?.releaseRetry()
    clearTimeout(routeTimeout)
    res.removeListener('close', onClose)
  }
}

/**
 * The downstream went away before its response was complete. The HTTP/2 compatibility response
 * reports `writableFinished` after a stream reset too, so there the request's `aborted` decides.
 */
function cutShort(req: Upstreamable, res: Downstream): boolean {
  return !res.writableFinished || (req as { readonly aborted?: boolean }).aborted === true
}

/** The downstream closed before the request was handled (rapid reset, CVE-2023-44487). */
function alreadyGone(req: Upstreamable, res: Downstream): boolean {
  const stream = (req as { readonly stream?: { readonly destroyed?: boolean } }).stream
  return res.destroyed === true || stream?.destroyed === true
}

interface RelayOptions {
  readonly req: Upstreamable
  readonly started: number
  readonly responseOps: readonly HeaderOpSet[]
  readonly vars: FormatVars
  readonly corsHeaders: HeaderRecord | undefined
  readonly setCookie: string | undefined
  readonly signal: Trip
}

/** Writes the upstream response downstream, streaming the body with backpressure. */
function relay(
  ctx: ForwardContext,
  res: Downstream,
  response: UpstreamResponse,
  options: RelayOptions,
): Promise<void> {
  const upstreamBody = response.body
  const headers = endToEnd(response.headers)
  applyHeaderOps(headers, options.responseOps, options.vars)
  if (options.corsHeaders !== undefined) Object.assign(headers, options.corsHeaders)
  if (options.setCookie !== undefined) {
    const current = headers['set-cookie']
    headers['set-cookie'] =
      current === undefined
        ? options.setCookie
        : Array.isArray(current)
          ? [...current, options.setCookie]
          : [current, options.setCookie]
  }
  if (ctx.serverHeader !== false) headers.server = ctx.serverHeader
  const serviceTime = Math.round(performance.now() - options.started)
  headers['x-envoy-upstream-service-time'] = String(serviceTime)
  try {
    res.writeHead(response.statusCode, headers)
  } catch (error) {
    ctx.logger.warn({ err: error }, 'upstream response headers rejected')
    upstreamBody.destroy()
    localReply(res, 502, ctx.serverHeader, `${LOCAL_BODY.connectError}reset reason: protocol error`)
    return Promise.resolve()
  }
  return new Promise((resolve) => {
    const observation = observeResponse(res)
    if (observation !== undefined) observation.upstreamServiceTime = serviceTime
    const sink = new RelaySink(res, upstreamBody, options.req, resolve, observation)
    if (!options.signal.aborted) return upstreamBody.start(sink)
    // Cancelled between the head and now (route timeout): the response cannot complete.
    upstreamBody.destroy()
    sink.error()
  })
}

/** Streams one upstream body into a downstream response, with backpressure both ways. */
class RelaySink implements ResponseSink {
  settled = false
  readonly #res: Downstream
  readonly #body: UpstreamBody
  readonly #req: Upstreamable
  readonly #resolve: () => void
  readonly #onDrain: () => void
  readonly #onClose: () => void
  readonly #observation: ResponseObservation | undefined

  constructor(
    res: Downstream,
    body: UpstreamBody,
    req: Upstreamable,
    resolve: () => void,
    observation: ResponseObservation | undefined,
  ) {
    this.#res = res
    this.#observation = observation
    this.#body = body
    this.#req = req
    this.#resolve = resolve
    this.#onDrain = () => body.resume()
    this.#onClose = () => {
      if (cutShort(this.#req, this.#res)) this.#body.destroy()
      this.finish()
    }
    res.on('drain', this.#onDrain)
    res.on('close', this.#onClose)
  }

  data(chunk: Buffer): void {
    if (this.#observation !== undefined) this.#observation.bytesSent += chunk.length
    if (!this.#res.write(chunk)) this.#body.pause()
  }

  end(trailers: HeaderRecord | undefined, last?: Buffer): void {
    const res = this.#res
    if (last !== undefined) {
      if (this.#observation !== undefined) this.#observation.bytesSent += last.length
      if (trailers === undefined) {
        res.end(last)
        return void this.finish()
      }
      res.write(last)
    }
    if (trailers !== undefined && res.addTrailers !== undefined) {
      try {
        res.addTrailers(endToEnd(trailers))
      } catch {
        // Trailers a downstream cannot carry are dropped.
      }
    }
    res.end()
    this.finish()
  }

  error(): void {
    // Upstream died (or the route timed out) after headers: never end the response as complete.
    this.#res.destroy()
    this.finish()
  }

  finish(): void {
    if (this.settled) return
    this.settled = true
    this.#res.removeListener('drain', this.#onDrain)
    this.#res.removeListener('close', this.#onClose)
    this.#resolve()
  }
}

/** Sends a copy of the request to a mirror cluster; the answer is discarded and never awaited. */
function fireMirror(
  ctx: ForwardContext,
  cluster: Cluster,
  input: HashInput | undefined,
  method: string,
  path: string,
  headers: HeaderRecord,
  body: Buffer | undefined,
): void {
  const pick = ctx.balancer.pick(cluster, input)
  if (pick === undefined) return
  const copy: HeaderRecord = { ...headers }
  delete copy['x-envoy-attempt-count']
  const limit = new Trip()
  const timer = setTimeout(() => limit.abort(), MIRROR_TIMEOUT_MS)
  timer.unref()
  const done = () => clearTimeout(timer)
  try {
    ctx.pools
      .get(cluster, pick.endpoint)
      .request({ path, method, headers: copy, body: body ?? null, signal: limit })
      .then((r) =>
        r.body.start({
          data() {},
          end: done,
          error: done,
        }),
      )
      .catch(done)
  } catch {
    // A mirror never fails the request.
  }
}
