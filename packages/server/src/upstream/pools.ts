import type { EventEmitter } from 'node:events'
import { isIP } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Cluster, Endpoint } from '@portico/core'
import type { Dispatcher } from 'undici'
import { readPem } from '../pem.js'
import type { HeaderRecord } from '../types.js'
import { type BreakerLimits, breakerKey, breakerLimits, CircuitBreaker } from './breakers.js'
import { endpointKey } from './endpoint.js'
import {
  H1Pool,
  type ResponseSink,
  type UpstreamBody,
  type UpstreamClient,
  UpstreamError,
  type UpstreamRequest,
  type UpstreamResponse,
} from './h1-client.js'
import { loadUndici, undici } from './undici.js'

/** The pool key of an endpoint object with the cluster it was last asked for. */
const poolKeys = new WeakMap<Endpoint, { readonly cluster: Cluster; readonly key: string }>()

/** Idle upstream connections are closed after this long (below common 5 s upstream keep-alives). */
const DEFAULT_KEEP_ALIVE_MS = 4_000

/**
 * One connection pool per endpoint origin and connection settings: keep-alive, no pipelining,
 * the cluster's connect timeout and connection cap. HTTP/1.1 clusters use {@link H1Pool};
 * HTTP/2 and gRPC clusters use undici. Pools outlive config swaps when their settings stay the
 * same; `retain` closes the others once their requests are done.
 */
export class UpstreamPools {
  readonly #pools = new Map<string, UpstreamClient>()
  /** Circuit breakers of the clusters that set limits, by {@link breakerKey}. */
  readonly #breakers = new Map<string, CircuitBreaker>()

  #key(cluster: Cluster, endpoint: Endpoint, limits: BreakerLimits | undefined): string {
    const p = cluster.trafficPolicy
    const tls = p.tls !== undefined && p.tls.mode !== 'DISABLE' ? `${p.tls.mode}:${p.tls.sni ?? ''}` : ''
    // A cluster with circuit breakers has pools of its own (their counts are the cluster's).
    const owner = limits === undefined ? '' : breakerKey(cluster, limits)
    return `${endpointKey(endpoint)}|${speaksH2(cluster) ? 'h2' : 'h1'}|${p.connectTimeoutMs}|${p.maxRequestsPerConnection ?? ''}|${p.idleTimeoutMs ?? ''}|${tls}|${owner}`
  }

  /** The circuit breaker of a cluster that sets connection-pool limits, created on first use. */
  breaker(cluster: Cluster): CircuitBreaker | undefined {
    const limits = breakerLimits(cluster)
    if (limits === undefined) return undefined
    const key = breakerKey(cluster, limits)
    let breaker = this.#breakers.get(key)
    if (breaker === undefined) {
      breaker = new CircuitBreaker(limits)
      this.#breakers.set(key, breaker)
    }
    return breaker
  }

  /**
   * Loads what the pools of `clusters` need before they serve (undici when one of them speaks
   * HTTP/2), or `undefined` when there is nothing to load. Pools are created synchronously on a
   * request, so a config is not swapped in before this settles.
   */
  prepare(clusters: Iterable<Cluster>): Promise<void> | undefined {
    for (const cluster of clusters) {
      if (speaksH2(cluster)) return loadUndici()
    }
    return undefined
  }

  /** The pool for an endpoint of a cluster, created on first use. */
  get(cluster: Cluster, endpoint: Endpoint): UpstreamClient {
    // The key of a (cluster, endpoint) pair is built once: both are parts of a compiled config
    // that never changes, and a key built per request is a string to build and hash each time.
    let cached = poolKeys.get(endpoint)
    if (cached?.cluster !== cluster) {
      cached = { cluster, key: this.#key(cluster, endpoint, breakerLimits(cluster)) }
      poolKeys.set(endpoint, cached)
    }
    const key = cached.key
    let pool = this.#pools.get(key)
    if (pool === undefined) {
      pool = createPool(cluster, endpoint, this.breaker(cluster))
      this.#pools.set(key, pool)
    }
    return pool
  }

  /** Closes the pools no cluster in `clusters` uses any more (gracefully: pending requests finish). */
  retain(clusters: Iterable<Cluster>): void {
    const keep = new Set<string>()
    const breakers = new Set<string>()
    for (const cluster of clusters) {
      const limits = breakerLimits(cluster)
      if (limits !== undefined) breakers.add(breakerKey(cluster, limits))
      for (const e of cluster.endpoints) keep.add(this.#key(cluster, e, limits))
    }
    for (const [key, pool] of this.#pools) {
      if (keep.has(key)) continue
      this.#pools.delete(key)
      pool.close().catch(() => {})
    }
    // A dropped breaker stays with the pools that hold it until they close.
    for (const key of this.#breakers.keys()) if (!breakers.has(key)) this.#breakers.delete(key)
  }

  /** Closes every pool; `force` aborts in-flight requests. */
  async close(force = false): Promise<void> {
    const pools = [...this.#pools.values()]
    this.#pools.clear()
    await Promise.all(pools.map((p) => (force ? p.destroy() : p.close()).catch(() => {})))
  }
}

/** Clusters whose port protocol is HTTP/2 (HTTP2, GRPC, GRPC-WEB) are spoken to in HTTP/2. */
export function speaksH2(cluster: Cluster): boolean {
  const protocol = cluster.protocol.toUpperCase()
  return protocol === 'HTTP2' || protocol === 'GRPC' || protocol === 'GRPC-WEB'
}

function createPool(
  cluster: Cluster,
  endpoint: Endpoint,
  breaker: CircuitBreaker | undefined,
): UpstreamClient {
  const p = cluster.trafficPolicy
  const tls =
    p.tls !== undefined && p.tls.mode !== 'DISABLE' && p.tls.mode !== 'ISTIO_MUTUAL' ? p.tls : undefined
  const idle = p.idleTimeoutMs ?? DEFAULT_KEEP_ALIVE_MS
  const name = `cluster ${cluster.name}`
  if (!speaksH2(cluster)) {
    const servername = tls === undefined ? undefined : (tls.sni ?? cluster.host)
    return new H1Pool({
      host: endpoint.address,
      port: endpoint.port,
      breaker,
      maxRequestsPerConnection: p.maxRequestsPerConnection || undefined,
      keepAliveMs: Math.min(idle, DEFAULT_KEEP_ALIVE_MS),
      connectTimeoutMs: p.connectTimeoutMs,
      tls:
        tls === undefined
          ? undefined
          : {
              ...(servername !== undefined && isIP(servername) === 0 ? { servername } : {}),
              ALPNProtocols: ['http/1.1'],
              rejectUnauthorized: !tls.insecureSkipVerify,
              ...(tls.caCertificates ? { ca: readPem(tls.caCertificates, name, 'CA certificates') } : {}),
              ...(tls.clientCertificate
                ? { cert: readPem(tls.clientCertificate, name, 'client certificate') }
                : {}),
              ...(tls.privateKey ? { key: readPem(tls.privateKey, name, 'private key') } : {}),
            },
    })
  }
  return new DispatcherClient(createDispatcher(cluster, endpoint, tls, idle, name), breaker)
}

function createDispatcher(
  cluster: Cluster,
  endpoint: Endpoint,
  tls: NonNullable<Cluster['trafficPolicy']['tls']> | undefined,
  idle: number,
  name: string,
): Dispatcher {
  const p = cluster.trafficPolicy
  const origin = `${tls ? 'https' : 'http'}://${endpointKey(endpoint)}`
  if (speaksH2(cluster) && tls === undefined) {
    // HTTP/2 prior knowledge: one multiplexed connection per endpoint.
    return new (undici().H2CClient)(origin, {
      connectTimeout: p.connectTimeoutMs,
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: Math.min(idle, DEFAULT_KEEP_ALIVE_MS),
    }).compose(keepH2Trailers)
  }
  const pool = new (undici().Pool)(origin, {
    ...(speaksH2(cluster) ? { allowH2: true } : {}),
    pipelining: 1,
    ...(p.maxConnections === undefined ? {} : { connections: p.maxConnections }),
    ...(p.maxRequestsPerConnection ? { maxRequestsPerClient: p.maxRequestsPerConnection } : {}),
    keepAliveTimeout: Math.min(idle, DEFAULT_KEEP_ALIVE_MS),
    keepAliveMaxTimeout: Math.max(idle, DEFAULT_KEEP_ALIVE_MS),
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: {
      timeout: p.connectTimeoutMs,
      ...(tls === undefined
        ? {}
        : {
            servername: tls.sni ?? cluster.host,
            rejectUnauthorized: !tls.insecureSkipVerify,
            ...(tls.caCertificates ? { ca: readPem(tls.caCertificates, name, 'CA certificates') } : {}),
            ...(tls.clientCertificate
              ? { cert: readPem(tls.clientCertificate, name, 'client certificate') }
              : {}),
            ...(tls.privateKey ? { key: readPem(tls.privateKey, name, 'private key') } : {}),
          }),
    },
  })
  return speaksH2(cluster) ? pool.compose(keepH2Trailers) : pool
}

/** Header fields as undici's handlers receive them. */
type IncomingHttpHeaders = Record<string, string | string[] | undefined>

/**
 * Keeps the trailers of HTTP/2 responses (gRPC's grpc-status and grpc-message). undici's HTTP/2
 * client hands them over as a header object where its handlers expect raw header pairs, so the
 * response would end with none; this passes the object's fields on as the trailers instead. Every
 * other callback goes straight to the wrapped handler: one small object per request, no proxy
 * and no bound functions.
 */
class KeepH2Trailers implements Dispatcher.DispatchHandler {
  readonly #handler: Dispatcher.DispatchHandler

  constructor(handler: Dispatcher.DispatchHandler) {
    this.#handler = handler
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.#handler.onRequestStart?.(controller, context)
  }

  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    socket: Duplex,
  ): void {
    this.#handler.onRequestUpgrade?.(controller, statusCode, headers, socket)
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    this.#handler.onResponseStart?.(controller, statusCode, headers, statusMessage)
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#handler.onResponseData?.(controller, chunk)
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders | undefined): void {
    const raw = controller.rawTrailers
    const fixed =
      (trailers === undefined || isEmpty(trailers)) &&
      raw !== null &&
      typeof raw === 'object' &&
      !Array.isArray(raw)
        ? { ...raw }
        : (trailers ?? {})
    this.#handler.onResponseEnd?.(controller, fixed)
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    const handler = this.#handler
    // undici's own handlers refuse to lose an error: without a callback, it is thrown.
    if (handler.onResponseError === undefined) throw error
    handler.onResponseError(controller, error)
  }
}

function isEmpty(record: object): boolean {
  for (const _ in record) return false
  return true
}

const keepH2Trailers: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) =>
  dispatch(options, new KeepH2Trailers(handler))

/**
 * An undici dispatcher (HTTP/2 upstreams) behind the {@link UpstreamClient} interface. Of the
 * circuit breakers it applies the requests-in-flight limit (`http2MaxRequests`); undici's pool
 * keeps its own connection cap and queue.
 */
class DispatcherClient implements UpstreamClient {
  constructor(
    readonly dispatcher: Dispatcher,
    readonly breaker: CircuitBreaker | undefined,
  ) {}

  async request(request: UpstreamRequest): Promise<UpstreamResponse> {
    const breaker = this.breaker
    if (breaker !== undefined) {
      if (!breaker.admitRequest()) throw new UpstreamError('overflow', 'overflow')
      breaker.requests++
    }
    let done = false
    const release = () => {
      if (done || breaker === undefined) return
      done = true
      breaker.requests--
    }
    let response: Dispatcher.ResponseData
    try {
      response = await this.dispatcher.request({
        path: request.path,
        method: request.method as Dispatcher.HttpMethod,
        headers: request.headers,
        body: request.body as Buffer | null,
        signal: request.signal as unknown as EventEmitter | undefined,
      })
    } catch (error) {
      release()
      throw error
    }
    if (breaker !== undefined) response.body.once('close', release)
    return {
      statusCode: response.statusCode,
      headers: response.headers as HeaderRecord,
      body: new ReadableBody(response),
    }
  }

  close(): Promise<void> {
    return this.dispatcher.close()
  }

  destroy(): Promise<void> {
    return this.dispatcher.destroy()
  }
}

/** An undici response body as an {@link UpstreamBody}. */
class ReadableBody implements UpstreamBody {
  constructor(readonly response: Dispatcher.ResponseData) {}

  start(sink: ResponseSink): void {
    const body = this.response.body
    body.on('data', (chunk: Buffer) => sink.data(chunk))
    body.once('end', () => {
      const trailers = this.response.trailers as HeaderRecord | undefined
      sink.end(trailers !== undefined && Object.keys(trailers).length > 0 ? trailers : undefined)
    })
    body.once('error', (error: Error) => sink.error(error))
  }

  pause(): void {
    this.response.body.pause()
  }

  resume(): void {
    this.response.body.resume()
  }

  destroy(): void {
    this.response.body.destroy()
  }

  dump(): void {
    this.response.body.dump().catch(() => {})
  }
}
