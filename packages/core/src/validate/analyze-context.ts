import { hostMatches, hostsIntersect, isWildcardHost } from '../model/hosts.js'
import { DEFAULT_NAMESPACE, resolveShortname } from '../model/names.js'
import { DEFAULT_GATEWAY_LABELS, DEFAULT_GATEWAY_NAMESPACE } from '../policy/scope.js'
import type {
  DestinationRuleResource,
  GatewayResource,
  RequestAuthenticationResource,
  Resource,
  SecretResource,
  ServiceEntryResource,
  ServiceResource,
  VirtualServiceResource,
} from '../resources/index.js'
import { isK8sGateway } from '../resources/index.js'

/** The namespace of a resource (`default` when absent). */
export const nsOf = (r: Resource): string => r.metadata.namespace ?? DEFAULT_NAMESPACE

/** `namespace/name`, as Istio prints a resource's full name. */
export const fullName = (r: Resource): string => `${nsOf(r)}/${r.metadata.name}`

/**
 * A service a host resolved to: a ServiceEntry or a Kubernetes Service (with the port numbers it
 * declares), or an entry of `knownHosts` (ports unknown).
 */
export type FoundService =
  | { readonly kind: 'ServiceEntry'; readonly entry: ServiceEntryResource; readonly ports: readonly number[] }
  | { readonly kind: 'Service'; readonly entry: ServiceResource; readonly ports: readonly number[] }
  | { readonly kind: 'known' }

/** The annotation that gives a Kubernetes Service an `exportTo` list (comma-separated). */
const EXPORT_TO_ANNOTATION = 'networking.istio.io/exportTo'

/**
 * The namespaces a ServiceEntry is visible in (Istio's `exportTo`): `'all'` when it has no
 * `exportTo` or lists `*`; `.` is its own namespace; `~` alone makes it visible nowhere.
 */
export function exportScopes(
  exportTo: readonly string[] | undefined,
  namespace: string,
): 'all' | Set<string> {
  if (exportTo === undefined || exportTo.length === 0 || exportTo.includes('*')) return 'all'
  const out = new Set<string>()
  for (const e of exportTo) if (e !== '~') out.add(e === '.' ? namespace : e)
  return out
}

/**
 * What every analyzer reads: the resources by kind, how hosts resolve to services (honouring
 * each ServiceEntry's `exportTo`), and the gateway process's labels.
 */
export class AnalysisContext {
  readonly gateways = new Map<string, GatewayResource>()
  /** `namespace/name` of every Gateway API (gateway.networking.k8s.io) Gateway. */
  readonly kubernetesGateways = new Set<string>()
  readonly virtualServices: VirtualServiceResource[] = []
  readonly destinationRules: DestinationRuleResource[] = []
  readonly serviceEntries: ServiceEntryResource[] = []
  readonly secrets = new Map<string, SecretResource>()
  readonly requestAuthentications: RequestAuthenticationResource[] = []
  readonly labels: Readonly<Record<string, string>>
  readonly gatewayNamespace: string
  readonly now: Date
  private readonly known: string[]
  private readonly seHosts: { host: string; scopes: 'all' | Set<string>; found: FoundService }[] = []

  constructor(
    resources: readonly Resource[],
    options: {
      knownHosts?: Iterable<string> | undefined
      gatewayLabels?: Readonly<Record<string, string>> | undefined
      gatewayNamespace?: string | undefined
      now?: Date | undefined
    },
  ) {
    for (const r of resources) {
      switch (r.kind) {
        case 'Gateway':
          if (isK8sGateway(r)) this.kubernetesGateways.add(fullName(r))
          else if (!this.gateways.has(fullName(r))) this.gateways.set(fullName(r), r)
          break
        case 'Service': {
          const annotation = r.metadata.annotations?.[EXPORT_TO_ANNOTATION]
          const exportTo = annotation?.split(',').map((e) => e.trim())
          this.seHosts.push({
            host: `${r.metadata.name}.${nsOf(r)}.svc.cluster.local`,
            scopes: exportScopes(exportTo, nsOf(r)),
            found: { kind: 'Service', entry: r, ports: (r.spec?.ports ?? []).map((p) => p.port) },
          })
          break
        }
        case 'VirtualService':
          this.virtualServices.push(r)
          break
        case 'DestinationRule':
          this.destinationRules.push(r)
          break
        case 'ServiceEntry':
          this.serviceEntries.push(r)
          break
        case 'Secret':
          this.secrets.set(fullName(r), r)
          break
        case 'RequestAuthentication':
          this.requestAuthentications.push(r)
          break
      }
    }
    this.labels = options.gatewayLabels ?? DEFAULT_GATEWAY_LABELS
    this.gatewayNamespace = options.gatewayNamespace ?? DEFAULT_GATEWAY_NAMESPACE
    this.now = options.now ?? new Date()
    this.known = [...(options.knownHosts ?? [])].map((h) => h.toLowerCase())
    for (const se of this.serviceEntries) {
      const scopes = exportScopes(se.spec.exportTo, nsOf(se))
      const found: FoundService = {
        kind: 'ServiceEntry',
        entry: se,
        ports: (se.spec.ports ?? []).map((p) => p.number),
      }
      for (const h of se.spec.hosts ?? []) {
        this.seHosts.push({ host: resolveShortname(h, nsOf(se)).toLowerCase(), scopes, found })
      }
    }
  }

  /**
   * The service a host names, seen from namespace `from` (Istio's `GetDestinationHost`): a
   * ServiceEntry or Kubernetes Service (`exportTo` annotation) exported to every namespace or to one of `lookIn` (the referring resource's
   * `exportTo`, `.` being `from`; without `exportTo`, `from` alone), exact names before wildcard
   * entries; then the `knownHosts` of the options. `undefined` when nothing provides it.
   */
  findService(host: string, from: string, exportTo?: readonly string[]): FoundService | undefined {
    const fqdn = resolveShortname(host, from).toLowerCase()
    const lookIn =
      exportTo === undefined || exportTo.length === 0 ? [from] : exportTo.map((e) => (e === '.' ? from : e))
    const visible = (scopes: 'all' | Set<string>): boolean =>
      scopes === 'all' || lookIn.some((ns) => scopes.has(ns))
    const exact = this.seHosts.find((s) => s.host === fqdn && visible(s.scopes))
    if (exact !== undefined) return exact.found
    const wildcard = this.seHosts.find(
      (s) => isWildcardHost(s.host) && visible(s.scopes) && hostMatches(s.host, fqdn),
    )
    if (wildcard !== undefined) return wildcard.found
    if (this.known.some((h) => hostMatches(h, fqdn))) return { kind: 'known' }
    return undefined
  }

  /**
   * The services a DestinationRule host applies to, seen from its namespace: as
   * {@link findService}, and for a wildcard host any visible ServiceEntry host it covers.
   */
  servicesForRule(dr: DestinationRuleResource): FoundService[] {
    const ns = nsOf(dr)
    const found = this.findService(dr.spec.host, ns, dr.spec.exportTo)
    if (found !== undefined) return [found]
    const host = resolveShortname(dr.spec.host, ns).toLowerCase()
    if (!isWildcardHost(host)) return []
    const scopesOk = (scopes: 'all' | Set<string>) => scopes === 'all' || scopes.has(ns)
    const covered = this.seHosts.filter((s) => scopesOk(s.scopes) && hostsIntersect(host, s.host))
    const out: FoundService[] = covered.map((s) => s.found)
    if (this.known.some((h) => hostsIntersect(h, host))) out.push({ kind: 'known' })
    return out
  }

  /** The Gateways whose selector the gateway's labels satisfy (those it serves). */
  selectedGateways(): GatewayResource[] {
    return [...this.gateways.values()].filter((g) => selectorMatches(g.spec.selector, this.labels))
  }

  /** Subset names the DestinationRules for `fqdn` define (exact host or a wildcard covering it). */
  subsetsFor(fqdn: string): Set<string> {
    const out = new Set<string>()
    for (const dr of this.destinationRules) {
      const drHost = resolveShortname(dr.spec.host, nsOf(dr)).toLowerCase()
      if (!hostMatches(drHost, fqdn.toLowerCase())) continue
      for (const s of dr.spec.subsets ?? []) out.add(s.name)
    }
    return out
  }
}

/** True when every label of `selector` has the same value in `labels` (Kubernetes' set selector). */
export function selectorMatches(
  selector: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => Object.hasOwn(labels, k) && labels[k] === v)
}

/** Kubernetes' selector string of a label set: `k=v` pairs sorted by key, comma-joined. */
export function selectorString(selector: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(selector ?? {})
    .sort()
    .map((k) => `${k}=${selector?.[k] ?? ''}`)
    .join(',')
}
