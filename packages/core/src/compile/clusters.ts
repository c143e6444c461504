import type { Diagnostic } from '../diagnostics/diagnostic.js'
import { parseDuration } from '../model/duration.js'
import { hostMatches } from '../model/hosts.js'
import { resolveShortname } from '../model/names.js'
import type { SnapshotResource } from '../model/snapshot.js'
import { namespaceOf } from '../model/snapshot.js'
import type { DestinationRuleSpec, TrafficPolicy } from '../resources/destination-rule.js'
import type { ServiceEntrySpec } from '../resources/service-entry.js'
import type { Cluster, ClusterPolicy, Endpoint, PemSource } from './types.js'

/** A service of the programmatic registry (the `services` compile option). */
export interface RegistryService {
  readonly ports: readonly {
    readonly number: number
    readonly name?: string
    readonly protocol?: string
    readonly targetPort?: number
  }[]
  readonly endpoints: readonly {
    readonly address: string
    /** The endpoint port when the service port has no entry in `ports`. */
    readonly port?: number
    /** Endpoint ports by service port name (as a WorkloadEntry's `ports`). */
    readonly ports?: Readonly<Record<string, number>>
    readonly labels?: Readonly<Record<string, string>>
    readonly weight?: number
  }[]
}

interface ServiceModel {
  readonly host: string
  readonly ports: readonly {
    number: number
    name: string
    protocol: string
    targetPort?: number | undefined
  }[]
  readonly resolution: Cluster['resolution']
  readonly endpoints: readonly {
    address: string
    port?: number | undefined
    ports: Readonly<Record<string, number>>
    labels: Readonly<Record<string, string>>
    weight: number
  }[]
}

type Res = SnapshotResource & { readonly spec?: unknown }

/** Every service host the compiler knows, from ServiceEntries (in order) then the registry. */
export class ServiceCatalog {
  readonly #exact = new Map<string, ServiceModel>()
  readonly #wildcards: ServiceModel[] = []
  readonly #rules: { host: string; spec: DestinationRuleSpec; namespace: string }[] = []

  constructor(
    serviceEntries: readonly Res[],
    destinationRules: readonly Res[],
    registry: ReadonlyMap<string, RegistryService> | Readonly<Record<string, RegistryService>> | undefined,
  ) {
    for (const se of serviceEntries) {
      const spec = se.spec as ServiceEntrySpec | undefined
      if (spec === undefined) continue
      for (const rawHost of spec.hosts) {
        const host = rawHost.toLowerCase()
        const model: ServiceModel = {
          host,
          ports: (spec.ports ?? []).map((p) => ({
            number: p.number,
            name: p.name,
            protocol: (p.protocol ?? 'TCP').toUpperCase(),
            targetPort: p.targetPort,
          })),
          resolution: spec.resolution === 'DYNAMIC_DNS' ? 'DNS' : (spec.resolution ?? 'NONE'),
          endpoints:
            (spec.endpoints ?? []).length > 0
              ? (spec.endpoints ?? []).map((e) => ({
                  address: e.address ?? '',
                  ports: e.ports ?? {},
                  labels: e.labels ?? {},
                  weight: e.weight ?? 1,
                }))
              : spec.resolution === 'DNS' || spec.resolution === 'DNS_ROUND_ROBIN'
                ? host.startsWith('*')
                  ? []
                  : [{ address: host, ports: {}, labels: {}, weight: 1 }]
                : [],
        }
        this.#add(model)
      }
    }
    const entries = registry instanceof Map ? [...registry.entries()] : Object.entries(registry ?? {})
    for (const [host, svc] of entries as [string, RegistryService][]) {
      this.#add({
        host: host.toLowerCase(),
        ports: svc.ports.map((p) => ({
          number: p.number,
          name: p.name ?? `port-${p.number}`,
          protocol: (p.protocol ?? 'HTTP').toUpperCase(),
          targetPort: p.targetPort,
        })),
        resolution: 'REGISTRY',
        endpoints: svc.endpoints.map((e) => ({
          address: e.address,
          port: e.port,
          ports: e.ports ?? {},
          labels: e.labels ?? {},
          weight: e.weight ?? 1,
        })),
      })
    }
    for (const dr of destinationRules) {
      const spec = dr.spec as DestinationRuleSpec | undefined
      if (spec === undefined) continue
      const namespace = namespaceOf(dr)
      this.#rules.push({ host: resolveShortname(spec.host, namespace).toLowerCase(), spec, namespace })
    }
  }

  #add(model: ServiceModel): void {
    if (model.host.startsWith('*')) this.#wildcards.push(model)
    else if (!this.#exact.has(model.host)) this.#exact.set(model.host, model)
  }

  /** The service for a host: exact name, else the first wildcard ServiceEntry covering it. */
  service(host: string): ServiceModel | undefined {
    const h = host.toLowerCase()
    const exact = this.#exact.get(h)
    if (exact !== undefined) return exact
    for (const w of this.#wildcards) if (hostMatches(w.host, h)) return w
    return undefined
  }

  /** Port numbers of a known host. */
  servicePorts(host: string): readonly number[] | undefined {
    return this.service(host)?.ports.map((p) => p.number)
  }

  /** Every exact (non-wildcard) service host, in order. */
  hosts(): string[] {
    return [...this.#exact.keys()]
  }

  /**
   * The DestinationRules that apply to a host: those naming it exactly, else those of the most
   * specific (longest) wildcard covering it; several rules for the same host merge in order
   * (Istio: the first definition of a subset and the first top-level policy win).
   */
  rulesFor(host: string): DestinationRuleSpec[] {
    const exact = this.#rules.filter((r) => r.host === host)
    if (exact.length > 0) return exact.map((r) => r.spec)
    let best: string | undefined
    for (const r of this.#rules) {
      if (
        r.host.startsWith('*') &&
        hostMatches(r.host, host) &&
        (best === undefined || r.host.length > best.length)
      ) {
        best = r.host
      }
    }
    return best === undefined ? [] : this.#rules.filter((r) => r.host === best).map((r) => r.spec)
  }

  /**
   * Builds a cluster, or `undefined` when the host, port or subset does not exist (Envoy: 503
   * NC). A subset whose labels select no endpoint gives a cluster with no endpoints (503 UH).
   */
  cluster(
    name: string,
    host: string,
    port: number,
    subset: string | undefined,
    secrets: SecretLookup,
    diagnostics: Diagnostic[],
  ): Cluster | undefined {
    const svc = this.service(host)
    if (svc === undefined) return undefined
    const sp = svc.ports.find((p) => p.number === port)
    if (sp === undefined) return undefined
    const rules = this.rulesFor(host.toLowerCase())
    let subsetLabels: Readonly<Record<string, string>> | undefined
    let subsetPolicy: TrafficPolicy | undefined
    if (subset !== undefined) {
      const def = rules.flatMap((r) => r.subsets ?? []).find((s) => s.name === subset)
      if (def === undefined) return undefined
      subsetLabels = def.labels ?? {}
      subsetPolicy = def.trafficPolicy
    }
    const topPolicy = rules.find((r) => r.trafficPolicy !== undefined)?.trafficPolicy
    const endpoints: Endpoint[] = []
    for (const e of svc.endpoints) {
      if (subsetLabels !== undefined && !Object.entries(subsetLabels).every(([k, v]) => e.labels[k] === v))
        continue
      const epPort = e.ports[sp.name] ?? e.port ?? sp.targetPort ?? sp.number
      endpoints.push({ address: e.address, port: epPort, labels: e.labels, weight: e.weight })
    }
    void diagnostics
    return {
      name,
      host,
      port,
      ...(subset === undefined ? {} : { subset }),
      protocol: sp.protocol,
      resolution: svc.resolution,
      endpoints,
      trafficPolicy: resolvePolicy(port, topPolicy, subsetPolicy, secrets),
    }
  }
}

/** Reads a TLS secret's PEMs by name (used for DestinationRule `credentialName`). */
export type SecretLookup = (
  credentialName: string,
) => { cert?: PemSource; key?: PemSource; ca?: PemSource } | undefined

type PolicyParts = Pick<TrafficPolicy, 'loadBalancer' | 'connectionPool' | 'outlierDetection' | 'tls'>

function layer(policy: TrafficPolicy | undefined, port: number): PolicyParts {
  if (policy === undefined) return {}
  const pl = policy.portLevelSettings?.find((p) => p.port?.number === port)
  return {
    loadBalancer: pl?.loadBalancer ?? policy.loadBalancer,
    connectionPool: pl?.connectionPool ?? policy.connectionPool,
    outlierDetection: pl?.outlierDetection ?? policy.outlierDetection,
    tls: pl?.tls ?? policy.tls,
  }
}

function ms(text: string | undefined, dflt: number): number
function ms(text: string | undefined, dflt?: undefined): number | undefined
function ms(text: string | undefined, dflt?: number): number | undefined {
  if (text === undefined) return dflt
  return parseDuration(text) ?? dflt
}

/**
 * Resolves the traffic policy of one cluster: the subset's policy over the top-level one, and in
 * each the port-level settings for this port over the rest (field by field: load balancer,
 * connection pool, outlier detection, TLS), with Istio's defaults.
 */
export function resolvePolicy(
  port: number,
  top: TrafficPolicy | undefined,
  subset: TrafficPolicy | undefined,
  secrets: SecretLookup,
): ClusterPolicy {
  const t = layer(top, port)
  const s = layer(subset, port)
  const lb = s.loadBalancer ?? t.loadBalancer
  const pool = s.connectionPool ?? t.connectionPool
  const od = s.outlierDetection ?? t.outlierDetection
  const tls = s.tls ?? t.tls
  let loadBalancer: ClusterPolicy['loadBalancer'] = { kind: 'LEAST_REQUEST' }
  if (lb?.consistentHash !== undefined) {
    const ch = lb.consistentHash
    const key =
      ch.httpHeaderName !== undefined
        ? { header: ch.httpHeaderName.toLowerCase() }
        : ch.httpCookie !== undefined
          ? {
              cookie: ch.httpCookie.name,
              ...(ch.httpCookie.path === undefined ? {} : { path: ch.httpCookie.path }),
              ...(ch.httpCookie.ttl === undefined ? {} : { ttlMs: ms(ch.httpCookie.ttl, 0) }),
            }
          : ch.httpQueryParameterName !== undefined
            ? { queryParameter: ch.httpQueryParameterName }
            : { sourceIp: true as const }
    loadBalancer = { kind: 'CONSISTENT_HASH', key }
  } else if (lb?.simple === 'ROUND_ROBIN' || lb?.simple === 'RANDOM' || lb?.simple === 'PASSTHROUGH') {
    loadBalancer = { kind: lb.simple }
  }
  let tlsPolicy: ClusterPolicy['tls']
  if (tls !== undefined && (tls.mode ?? 'DISABLE') !== 'DISABLE') {
    const fromSecret = tls.credentialName === undefined ? undefined : secrets(tls.credentialName)
    const file = (path: string | undefined): PemSource | undefined =>
      path === undefined ? undefined : { kind: 'file', path }
    const ca = fromSecret?.ca ?? file(tls.caCertificates)
    const cert = fromSecret?.cert ?? file(tls.clientCertificate)
    const key = fromSecret?.key ?? file(tls.privateKey)
    tlsPolicy = {
      mode: tls.mode ?? 'DISABLE',
      ...(tls.sni === undefined ? {} : { sni: tls.sni }),
      subjectAltNames: tls.subjectAltNames ?? [],
      insecureSkipVerify: tls.insecureSkipVerify === true,
      ...(ca === undefined ? {} : { caCertificates: ca }),
      ...(cert === undefined ? {} : { clientCertificate: cert }),
      ...(key === undefined ? {} : { privateKey: key }),
    }
  }
  const consecutive5xx = od?.consecutive5xxErrors ?? od?.consecutiveErrors
  const maxConnections = pool?.tcp?.maxConnections
  const maxPending = pool?.http?.http1MaxPendingRequests
  const maxPerConn = pool?.http?.maxRequestsPerConnection
  const maxRequests = pool?.http?.http2MaxRequests
  const maxRetries = pool?.http?.maxRetries
  const idle = ms(pool?.http?.idleTimeout ?? pool?.tcp?.idleTimeout)
  return {
    loadBalancer,
    connectTimeoutMs: ms(pool?.tcp?.connectTimeout, 10_000),
    // Istio sets a circuit breaker only for a positive value: 0 leaves it unlimited.
    ...(maxConnections === undefined || maxConnections <= 0 ? {} : { maxConnections }),
    ...(maxPending === undefined || maxPending <= 0 ? {} : { maxPendingRequests: maxPending }),
    ...(maxPerConn === undefined || maxPerConn === 0 ? {} : { maxRequestsPerConnection: maxPerConn }),
    ...(maxRequests === undefined || maxRequests <= 0 ? {} : { maxRequests }),
    ...(maxRetries === undefined || maxRetries <= 0 ? {} : { maxRetries }),
    ...(idle === undefined ? {} : { idleTimeoutMs: idle }),
    ...(od === undefined
      ? {}
      : {
          outlierDetection: {
            consecutive5xxErrors: consecutive5xx ?? 5,
            ...(od.consecutiveGatewayErrors === undefined || od.consecutiveGatewayErrors === null
              ? {}
              : { consecutiveGatewayErrors: od.consecutiveGatewayErrors }),
            intervalMs: ms(od.interval, 10_000),
            baseEjectionTimeMs: ms(od.baseEjectionTime, 30_000),
            maxEjectionPercent: od.maxEjectionPercent ?? 10,
          },
        }),
    ...(tlsPolicy === undefined ? {} : { tls: tlsPolicy }),
  }
}
