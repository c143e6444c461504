import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { readdirSync } from 'node:fs'
import type { Socket } from 'node:net'
import { CHANNELS, type ConnectionEvent, type RequestEndEvent } from '../events/channels.js'
import {
  addRequestRecorder,
  type RequestFigures,
  type RequestRecorder,
  removeRequestRecorder,
} from '../events/request.js'
import { CounterFamily, type CounterSeries, HistogramFamily, type HistogramSeries } from './prometheus.js'
import {
  type FamilySnapshot,
  type MergeRule,
  type MetricsSnapshot,
  renderSnapshot,
  type ScalarFamilySnapshot,
} from './snapshot.js'
import type { Labels } from './text.js'

/** Istio's default buckets for `istio_request_duration_milliseconds`. */
export const DURATION_BUCKETS_MS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
]

/** Buckets of `istio_request_bytes` / `istio_response_bytes` (powers of ten up to 1 GB). */
export const SIZE_BUCKETS: readonly number[] = [
  1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
]

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** Counts only the requests and connections this accepts. */
  readonly filter?: (event: RequestEndEvent | ConnectionEvent) => boolean
  /**
   * Counts only the requests and connections that arrived on one of these `address:port`s (those
   * of one gateway's listeners), and those without a local address. Read per request; cheaper
   * than an equivalent `filter`, which needs a full event object per request.
   */
  readonly localAddresses?: () => ReadonlySet<string>
  /** `source_workload` (default `istio-ingressgateway`, as Istio labels its gateway). */
  readonly workload?: string
  /** `source_workload_namespace` (default `istio-system`). */
  readonly namespace?: string
  /** `address:port` of upstream endpoints to report connection gauges for (all when absent). */
  readonly upstreams?: () => ReadonlySet<string>
  /**
   * Whether requests are counted (default true). Without, no request is observed at all (the
   * per-request events have no subscriber); connection and process figures remain.
   */
  readonly requests?: boolean
  /**
   * Values read at scrape time, e.g. the config version; entries of one name form one family.
   * `type` defaults to `gauge`, `merge` (how several processes' values combine) to `sum`.
   */
  readonly gauges?: () => Iterable<{
    readonly name: string
    readonly help: string
    readonly value: number
    readonly labels?: Labels
    readonly type?: 'gauge' | 'counter'
    readonly merge?: MergeRule
  }>
}

/** Request metrics in Istio's names and labels, plus process and upstream connection gauges. */
export interface Metrics {
  /** Counts one finished request (what the `portico:request:end` subscription does). */
  record(event: RequestEndEvent): void
  /**
   * The figures as plain data, for {@link mergeSnapshots} with other processes' and
   * {@link renderSnapshot}; read at call time, nothing is kept.
   */
  snapshot(): MetricsSnapshot
  /** The Prometheus text exposition (version 0.0.4); `renderSnapshot(snapshot())`. */
  render(): string
  /** Stops listening to the gateway's events. */
  close(): void
}

/** Content type of {@link Metrics.render}'s output. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

function scalar(
  type: 'counter' | 'gauge',
  name: string,
  help: string,
  series: ScalarFamilySnapshot['series'],
  merge?: MergeRule,
): ScalarFamilySnapshot {
  return merge === undefined ? { type, name, help, series } : { type, name, help, merge, series }
}

/** The series of Istio's four request metrics that one label set counts in. */
interface RequestSeries {
  readonly requests: CounterSeries
  readonly duration: HistogramSeries
  readonly requestBytes: HistogramSeries
  readonly responseBytes: HistogramSeries
}

type Part = string | number | undefined

/**
 * Values by a key of five parts, one map level per part: each lookup hashes a string the
 * config holds (its hash is kept) or a small integer, never a string built for the lookup.
 */
class SeriesTree<T> {
  readonly #root = new Map<Part, Map<Part, Map<Part, Map<Part, Map<Part, T>>>>>()

  get(a: Part, b: Part, c: Part, d: Part, e: Part): T | undefined {
    return this.#root.get(a)?.get(b)?.get(c)?.get(d)?.get(e)
  }

  set(a: Part, b: Part, c: Part, d: Part, e: Part, value: T): void {
    const l1 = level(this.#root, a)
    const l2 = level(l1, b)
    const l3 = level(l2, c)
    level(l3, d).set(e, value)
  }
}

/** The map under `key` in `map`, added when missing. */
function level<T>(map: Map<Part, Map<Part, T>>, key: Part): Map<Part, T> {
  let next = map.get(key)
  if (next === undefined) {
    next = new Map()
    map.set(key, next)
  }
  return next
}

const CLUSTER_DOMAIN_SUFFIX = '.svc.cluster.local'

function serviceParts(host: string | undefined): { name: string; namespace: string } {
  if (host === undefined) return { name: 'unknown', namespace: 'unknown' }
  if (host.endsWith(CLUSTER_DOMAIN_SUFFIX)) {
    const [name = host, namespace = 'unknown'] = host.slice(0, -CLUSTER_DOMAIN_SUFFIX.length).split('.')
    return { name, namespace }
  }
  return { name: host, namespace: 'unknown' }
}

function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length
  } catch {
    return undefined
  }
}

interface UpstreamConnected {
  readonly socket?: Socket
  readonly host?: string
  readonly port?: number
  readonly connectParams?: {
    readonly hostname?: string
    readonly host?: string
    readonly port?: string | number
  }
}

/**
 * Collects request metrics as Istio's standard metrics (`istio_requests_total`,
 * `istio_request_duration_milliseconds`, `istio_request_bytes`, `istio_response_bytes`, with
 * `reporter="source"` as Istio's gateways report) from `portico:request:end`, upstream connection
 * gauges from undici's `undici:client:connected`, and process gauges at scrape time.
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const source: Labels = {
    reporter: 'source',
    source_workload: options.workload ?? 'istio-ingressgateway',
    source_workload_namespace: options.namespace ?? 'istio-system',
    source_app: options.workload ?? 'istio-ingressgateway',
  }
  const requests = new CounterFamily('istio_requests_total', 'Requests handled by the gateway.')
  const duration = new HistogramFamily(
    'istio_request_duration_milliseconds',
    'Request duration in milliseconds.',
    DURATION_BUCKETS_MS,
  )
  const requestBytes = new HistogramFamily(
    'istio_request_bytes',
    'Request body sizes in bytes.',
    SIZE_BUCKETS,
  )
  const responseBytes = new HistogramFamily(
    'istio_response_bytes',
    'Response body sizes in bytes.',
    SIZE_BUCKETS,
  )
  // Per route and cluster, for the admin page (Envoy keeps such figures per virtual cluster).
  const routeDuration = new HistogramFamily(
    'portico_route_request_duration_milliseconds',
    'Request duration in milliseconds by route config, route, upstream cluster and status class.',
    DURATION_BUCKETS_MS,
  )
  const tcpOpened = new CounterFamily('istio_tcp_connections_opened_total', 'TCP connections opened.')
  const tcpClosed = new CounterFamily('istio_tcp_connections_closed_total', 'TCP connections closed.')
  const tcpSent = new CounterFamily('istio_tcp_sent_bytes_total', 'Bytes sent to clients on TCP connections.')
  const tcpReceived = new CounterFamily(
    'istio_tcp_received_bytes_total',
    'Bytes received from clients on TCP connections.',
  )
  const tcpLabels = (event: ConnectionEvent): Labels => {
    const service = serviceParts(event.destinationService)
    return {
      ...source,
      destination_service: event.destinationService ?? 'unknown',
      destination_service_name: service.name,
      destination_service_namespace: service.namespace,
      destination_version: event.destinationSubset ?? 'unknown',
      destination_port: event.destinationPort === undefined ? 'unknown' : String(event.destinationPort),
      request_protocol: 'tcp',
      response_flags: event.responseFlags.length === 0 ? '-' : event.responseFlags.join(','),
      connection_security_policy: 'unknown',
    }
  }
  const onConnectionStart = (message: unknown): void => {
    const event = message as ConnectionEvent
    if (options.filter !== undefined && !options.filter(event)) return
    if (!isLocal(event)) return
    tcpOpened.inc(tcpLabels(event))
  }
  const onConnectionEnd = (message: unknown): void => {
    const event = message as ConnectionEvent
    if (options.filter !== undefined && !options.filter(event)) return
    if (!isLocal(event)) return
    const labels = tcpLabels(event)
    tcpClosed.inc(labels)
    tcpSent.inc(labels, event.bytesSent)
    tcpReceived.inc(labels, event.bytesReceived)
  }
  const upstreamActive = new Map<string, number>()
  const upstreamTotal = new Map<string, number>()
  let active = 0

  const labelsOf = (event: RequestFigures, flags: string): Labels => {
    const service = serviceParts(event.destinationService)
    return {
      ...source,
      destination_service: event.destinationService ?? 'unknown',
      destination_service_name: service.name,
      destination_service_namespace: service.namespace,
      destination_version: event.destinationSubset ?? 'unknown',
      destination_port: event.destinationPort === undefined ? 'unknown' : String(event.destinationPort),
      request_protocol: event.requestProtocol,
      response_code: String(event.responseCode),
      response_flags: flags,
      connection_security_policy: 'unknown',
      gateway_port: String(event.gatewayPort),
    }
  }
  // The series a request lands in, found through maps keyed by its label values themselves
  // (strings the config holds, small numbers): no label text is built or hashed per request.
  const requestSeries = new SeriesTree<RequestSeries>()
  const routeSeries = new SeriesTree<HistogramSeries>()
  const newRequestSeries = (event: RequestFigures, flags: string): RequestSeries => {
    const labels = labelsOf(event, flags)
    const key = `${event.destinationService}|${event.destinationSubset}|${event.destinationPort}|${event.requestProtocol}|${event.responseCode}|${flags}|${event.gatewayPort}`
    return {
      requests: requests.series(labels, key),
      duration: duration.series(labels, key),
      requestBytes: requestBytes.series(labels, key),
      responseBytes: responseBytes.series(labels, key),
    }
  }
  const newRouteSeries = (event: RequestFigures, codeClass: number): HistogramSeries =>
    routeDuration.series(
      {
        route_config: event.routeConfig ?? '-',
        route_name: event.routeName ?? '-',
        upstream_cluster: event.upstreamCluster ?? '-',
        response_code_class: codeClass === 0 ? 'none' : `${codeClass}xx`,
      },
      `${event.routeConfig}|${event.routeName}|${event.upstreamCluster}|${codeClass}`,
    )
  const count = (event: RequestFigures): void => {
    const flagList = event.responseFlags
    const flags = flagList.length === 0 ? '-' : flagList.join(',')
    const code = event.responseCode
    const grpc = event.requestProtocol === 'grpc' ? 1 : 0
    // Response code (0-999), gateway port (0-65535) and protocol in one small integer.
    const small = (code * 65536 + event.gatewayPort) * 2 + grpc
    let series = requestSeries.get(
      event.destinationService,
      event.destinationSubset,
      event.destinationPort,
      flags,
      small,
    )
    if (series === undefined) {
      series = newRequestSeries(event, flags)
      requestSeries.set(
        event.destinationService,
        event.destinationSubset,
        event.destinationPort,
        flags,
        small,
        series,
      )
    }
    const ms = event.durationMs
    series.requests.value++
    series.duration.observe(ms)
    const codeClass = code < 100 ? 0 : (code / 100) | 0
    let route = routeSeries.get(
      event.routeConfig,
      event.routeName,
      undefined,
      event.upstreamCluster,
      codeClass,
    )
    if (route === undefined) {
      route = newRouteSeries(event, codeClass)
      routeSeries.set(event.routeConfig, event.routeName, undefined, event.upstreamCluster, codeClass, route)
    }
    route.observe(ms)
    series.requestBytes.observe(event.bytesReceived)
    series.responseBytes.observe(event.bytesSent)
  }
  const record = (event: RequestEndEvent): void => {
    if (options.filter !== undefined && !options.filter(event)) return
    if (!isLocal(event)) return
    count(event)
  }
  const isLocal = (event: { readonly downstreamLocalAddress: string | undefined }): boolean => {
    if (options.localAddresses === undefined) return true
    const local = event.downstreamLocalAddress
    return local === undefined || options.localAddresses().has(local)
  }
  const onEnd = (message: unknown): void => {
    active = Math.max(0, active - 1)
    record(message as RequestEndEvent)
  }
  const onStart = (): void => {
    active++
  }
  // Without a `filter` (which takes whole events), requests are handed over by the gateway
  // directly, with no event object built for them.
  const recorder: RequestRecorder = {
    started: onStart,
    ended(figures) {
      active = Math.max(0, active - 1)
      if (isLocal(figures)) count(figures)
    },
  }
  const onConnected = (message: unknown): void => {
    // Portico's own HTTP/1.1 pools publish `host`/`port`; undici's (HTTP/2 upstreams) `connectParams`.
    const { socket, connectParams, host: own, port: ownPort } = message as UpstreamConnected
    if (socket === undefined || (connectParams === undefined && own === undefined)) return
    const host = own ?? connectParams?.hostname ?? connectParams?.host ?? ''
    const key = `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${ownPort ?? connectParams?.port ?? ''}`
    if (options.upstreams !== undefined && !options.upstreams().has(key)) return
    upstreamActive.set(key, (upstreamActive.get(key) ?? 0) + 1)
    upstreamTotal.set(key, (upstreamTotal.get(key) ?? 0) + 1)
    socket.once('close', () => upstreamActive.set(key, Math.max(0, (upstreamActive.get(key) ?? 1) - 1)))
  }
  const requestsCounted = options.requests !== false
  const viaChannels = options.filter !== undefined
  if (requestsCounted) {
    if (viaChannels) {
      subscribe(CHANNELS.requestEnd, onEnd)
      subscribe(CHANNELS.requestStart, onStart)
    } else addRequestRecorder(recorder)
  }
  subscribe(CHANNELS.connectionStart, onConnectionStart)
  subscribe(CHANNELS.connectionEnd, onConnectionEnd)
  subscribe('undici:client:connected', onConnected)
  subscribe(CHANNELS.upstreamConnected, onConnected)
  let closed = false

  const snapshot = (): MetricsSnapshot => {
    const families: FamilySnapshot[] = [
      requests.snapshot(),
      duration.snapshot(),
      requestBytes.snapshot(),
      responseBytes.snapshot(),
      routeDuration.snapshot(),
      tcpOpened.snapshot(),
      tcpClosed.snapshot(),
      tcpSent.snapshot(),
      tcpReceived.snapshot(),
      scalar('gauge', 'portico_downstream_rq_active', 'Requests in flight.', [{ labels: {}, value: active }]),
      scalar(
        'gauge',
        'portico_upstream_cx_active',
        'Open upstream connections by endpoint.',
        [...upstreamActive].map(([k, v]) => ({ labels: { upstream_host: k }, value: v })),
      ),
      scalar(
        'counter',
        'portico_upstream_cx_total',
        'Upstream connections opened by endpoint.',
        [...upstreamTotal].map(([k, v]) => ({ labels: { upstream_host: k }, value: v })),
      ),
    ]
    // Entries of one name form one family (one HELP and TYPE line).
    const extra = new Map<
      string,
      { family: ScalarFamilySnapshot; series: { labels: Labels; value: number }[] }
    >()
    for (const g of options.gauges?.() ?? []) {
      let entry = extra.get(g.name)
      if (entry === undefined) {
        const series: { labels: Labels; value: number }[] = []
        entry = {
          family: {
            type: g.type ?? 'gauge',
            name: g.name,
            help: g.help,
            ...(g.merge === undefined ? {} : { merge: g.merge }),
            series,
          },
          series,
        }
        extra.set(g.name, entry)
        families.push(entry.family)
      }
      entry.series.push({ labels: g.labels ?? {}, value: g.value })
    }
    const usage = process.cpuUsage()
    const memory = process.memoryUsage()
    families.push(
      scalar('counter', 'process_cpu_seconds_total', 'User and system CPU time in seconds.', [
        { labels: {}, value: (usage.user + usage.system) / 1e6 },
      ]),
      scalar('gauge', 'process_resident_memory_bytes', 'Resident memory in bytes.', [
        { labels: {}, value: memory.rss },
      ]),
      scalar(
        'gauge',
        'process_start_time_seconds',
        'Start time of the process in Unix seconds.',
        [{ labels: {}, value: Math.round((Date.now() - process.uptime() * 1000) / 1000) }],
        'min',
      ),
      scalar('gauge', 'nodejs_heap_size_used_bytes', 'V8 heap in use in bytes.', [
        { labels: {}, value: memory.heapUsed },
      ]),
    )
    const fds = openFds()
    if (fds !== undefined)
      families.push(
        scalar('gauge', 'process_open_fds', 'Open file descriptors.', [{ labels: {}, value: fds }]),
      )
    return { families }
  }

  return {
    record,
    snapshot,
    render: () => renderSnapshot(snapshot()),
    close() {
      if (closed) return
      closed = true
      if (requestsCounted) {
        if (viaChannels) {
          unsubscribe(CHANNELS.requestEnd, onEnd)
          unsubscribe(CHANNELS.requestStart, onStart)
        } else removeRequestRecorder(recorder)
      }
      unsubscribe(CHANNELS.connectionStart, onConnectionStart)
      unsubscribe(CHANNELS.connectionEnd, onConnectionEnd)
      unsubscribe('undici:client:connected', onConnected)
      unsubscribe(CHANNELS.upstreamConnected, onConnected)
    },
  }
}
