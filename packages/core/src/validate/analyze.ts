import type { Diagnostic, FieldPath } from '../diagnostics/diagnostic.js'
import { hostMatches, hostsIntersect, isWildcardHost, serverHostsForNamespace } from '../model/hosts.js'
import { DEFAULT_NAMESPACE, MESH_GATEWAY, resolveGatewayName, resolveShortname } from '../model/names.js'
import type {
  Destination,
  DestinationRuleResource,
  GatewayResource,
  Resource,
  SecretResource,
  ServiceEntryResource,
  VirtualServiceResource,
} from '../resources/index.js'
import { isK8sGateway } from '../resources/index.js'
import { CODES } from './codes.js'
import { Report } from './report.js'

/** Options of {@link analyze}. */
export interface AnalyzeOptions {
  /**
   * Destination hosts that exist without a ServiceEntry (a programmatic service registry):
   * FQDNs (`httpbin.default.svc.cluster.local`) or wildcard names (`*.internal`). A destination
   * is known when one of these covers its resolved name.
   */
  readonly knownHosts?: Iterable<string>
}

/** The namespace where Istio's ingress gateway usually reads its credentials besides the Gateway's own. */
const GATEWAY_SYSTEM_NAMESPACE = 'istio-system'

const nsOf = (r: Resource): string => r.metadata.namespace ?? DEFAULT_NAMESPACE
const keyOf = (ns: string, name: string): string => `${ns}/${name}`

/**
 * Cross-resource findings in the manner of `istioctl analyze`, all as warnings (the cluster
 * admits such objects; Istio serves them and answers 404/503 at request time):
 * - IST0101 a VirtualService gateway that does not exist, a destination (or mirror) host no
 *   ServiceEntry or `knownHosts` entry knows, a subset no DestinationRule for the host defines,
 *   a Gateway `credentialName` with no Secret in the Gateway's namespace or `istio-system`;
 * - IST0132 a VirtualService none of whose hosts a server of its (existing) gateway admits;
 * - IST0145 two Gateways with the same selector whose servers claim the same port, host and bind.
 * Unreachable rules inside one VirtualService (IST0130) are reported by its own validation.
 */
export function analyze(resources: readonly Resource[], options: AnalyzeOptions = {}): Diagnostic[] {
  const gateways = new Map<string, GatewayResource>()
  const virtualServices: VirtualServiceResource[] = []
  const destinationRules: DestinationRuleResource[] = []
  const serviceEntries: ServiceEntryResource[] = []
  const secrets = new Map<string, SecretResource>()
  for (const r of resources) {
    switch (r.kind) {
      case 'Gateway':
        if (isK8sGateway(r)) break
        if (!gateways.has(keyOf(nsOf(r), r.metadata.name))) gateways.set(keyOf(nsOf(r), r.metadata.name), r)
        break
      case 'VirtualService':
        virtualServices.push(r)
        break
      case 'DestinationRule':
        destinationRules.push(r)
        break
      case 'ServiceEntry':
        serviceEntries.push(r)
        break
      case 'Secret':
        secrets.set(keyOf(nsOf(r), r.metadata.name), r)
        break
    }
  }
  const known = [...(options.knownHosts ?? [])].map((h) => h.toLowerCase())
  const seHosts = serviceEntries.flatMap((se) =>
    se.spec.hosts.map((h) => resolveShortname(h, nsOf(se)).toLowerCase()),
  )
  const hostKnown = (fqdn: string): boolean => {
    const name = fqdn.toLowerCase()
    return seHosts.some((h) => hostMatches(h, name)) || known.some((h) => hostMatches(h, name))
  }
  const subsetsFor = (fqdn: string): Set<string> => {
    const out = new Set<string>()
    for (const dr of destinationRules) {
      const drHost = resolveShortname(dr.spec.host, nsOf(dr)).toLowerCase()
      if (!hostMatches(drHost, fqdn.toLowerCase())) continue
      for (const s of dr.spec.subsets ?? []) out.add(s.name)
    }
    return out
  }

  const diagnostics: Diagnostic[] = []
  for (const vs of virtualServices) {
    const report = new Report(vs)
    analyzeGatewayBinding(report, vs, gateways)
    analyzeDestinations(report, vs, hostKnown, subsetsFor)
    diagnostics.push(...report.diagnostics)
  }
  for (const gw of gateways.values()) {
    const report = new Report(gw)
    analyzeCredentials(report, gw, secrets)
    diagnostics.push(...report.diagnostics)
  }
  diagnostics.push(...analyzeConflictingGateways([...gateways.values()]))
  return diagnostics
}

function analyzeGatewayBinding(
  report: Report,
  vs: VirtualServiceResource,
  gateways: Map<string, GatewayResource>,
): void {
  const vsNs = nsOf(vs)
  const hosts = vs.spec.hosts ?? []
  for (const [i, name] of (vs.spec.gateways ?? []).entries()) {
    const ref = resolveGatewayName(name, vsNs)
    if (ref === MESH_GATEWAY) continue
    const at: FieldPath = ['spec', 'gateways', i]
    const gw = gateways.get(keyOf(ref.namespace, ref.name))
    if (gw === undefined) {
      report.warning(CODES.referenceNotFound, `Referenced gateway not found: ${JSON.stringify(name)}`, at)
      continue
    }
    if (hosts.length === 0) continue
    const serverHosts = serverHostsForNamespace(
      (gw.spec.servers ?? []).flatMap((s) => s.hosts ?? []),
      vsNs,
      nsOf(gw),
    )
    if (!serverHosts.some((gh) => hosts.some((h) => hostsIntersect(gh, h)))) {
      report.warning(
        CODES.hostNotInGateway,
        `one or more host [${hosts.join(' ')}] defined in VirtualService ${vsNs}/${vs.metadata.name} not found in Gateway ${ref.namespace}/${ref.name}.`,
        at,
      )
    }
  }
}

function analyzeDestinations(
  report: Report,
  vs: VirtualServiceResource,
  hostKnown: (fqdn: string) => boolean,
  subsetsFor: (fqdn: string) => Set<string>,
): void {
  const vsNs = nsOf(vs)
  const check = (destination: Destination | undefined, at: FieldPath, what: 'host' | 'mirror host'): void => {
    if (destination === undefined || destination.host === '') return
    const fqdn = resolveShortname(destination.host, vsNs)
    if (!isWildcardHost(fqdn) && !hostKnown(fqdn)) {
      report.warning(
        CODES.referenceNotFound,
        `Referenced ${what} not found: ${JSON.stringify(destination.host)}`,
        [...at, 'host'],
      )
    }
    const subset = destination.subset
    if (subset !== undefined && subset !== '' && !subsetsFor(fqdn).has(subset)) {
      report.warning(
        CODES.referenceNotFound,
        `Referenced host+subset in destinationrule not found: ${JSON.stringify(`${destination.host}+${subset}`)}`,
        [...at, 'subset'],
      )
    }
  }
  for (const [i, rule] of (vs.spec.http ?? []).entries()) {
    for (const [j, rd] of (rule.route ?? []).entries())
      check(rd.destination, ['spec', 'http', i, 'route', j, 'destination'], 'host')
    check(rule.mirror, ['spec', 'http', i, 'mirror'], 'mirror host')
    for (const [j, m] of (rule.mirrors ?? []).entries()) {
      check(m.destination, ['spec', 'http', i, 'mirrors', j, 'destination'], 'mirror host')
    }
  }
  for (const field of ['tls', 'tcp'] as const) {
    for (const [i, rule] of (vs.spec[field] ?? []).entries()) {
      for (const [j, rd] of (rule.route ?? []).entries())
        check(rd.destination, ['spec', field, i, 'route', j, 'destination'], 'host')
    }
  }
}

function analyzeCredentials(report: Report, gw: GatewayResource, secrets: Map<string, SecretResource>): void {
  const namespaces = [nsOf(gw), GATEWAY_SYSTEM_NAMESPACE]
  for (const [i, server] of (gw.spec.servers ?? []).entries()) {
    const tls = server.tls
    if (tls === undefined) continue
    const names: [string, FieldPath][] = []
    if (tls.credentialName !== undefined && tls.credentialName !== '') {
      names.push([tls.credentialName, ['spec', 'servers', i, 'tls', 'credentialName']])
    }
    for (const [k, n] of (tls.credentialNames ?? []).entries())
      names.push([n, ['spec', 'servers', i, 'tls', 'credentialNames', k]])
    for (const [name, at] of names) {
      if (!namespaces.some((ns) => secrets.has(keyOf(ns, name)))) {
        report.warning(
          CODES.referenceNotFound,
          `Referenced credentialName not found: ${JSON.stringify(name)}`,
          at,
        )
      }
    }
  }
}

/** Kubernetes' selector string of a label set: `k=v` pairs sorted by key, comma-joined. */
function selectorString(selector: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(selector ?? {})
    .sort()
    .map((k) => `${k}=${selector?.[k] ?? ''}`)
    .join(',')
}

/**
 * Istio's ConflictingGatewayAnalyzer (IST0145) without workload knowledge: Gateways conflict when
 * their selectors are equal and two of their servers share a port number, a host entry (as
 * written) and a bind address.
 */
function analyzeConflictingGateways(gateways: readonly GatewayResource[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = []
  for (const gw of gateways) {
    const report = new Report(gw)
    const selector = selectorString(gw.spec.selector)
    for (const [i, server] of (gw.spec.servers ?? []).entries()) {
      const conflicts: string[] = []
      for (const other of gateways) {
        if (other === gw || selectorString(other.spec.selector) !== selector) continue
        const clash = (other.spec.servers ?? []).some(
          (s) =>
            s.port.number === server.port.number &&
            (s.bind ?? '') === (server.bind ?? '') &&
            s.hosts.some((h) => server.hosts.includes(h)),
        )
        if (clash) conflicts.push(`${nsOf(other)}/${other.metadata.name}`)
      }
      if (conflicts.length > 0) {
        conflicts.sort()
        report.warning(
          CODES.conflictingGateways,
          `Conflict with gateways ${conflicts.join(',')} (workload selector ${selector}, port ${server.port.number}, hosts ${server.hosts.join(',')}).`,
          ['spec', 'servers', i],
        )
      }
    }
    diagnostics.push(...report.diagnostics)
  }
  return diagnostics
}
