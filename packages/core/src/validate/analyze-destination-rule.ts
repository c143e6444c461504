import type { ClientTLSSettings, DestinationRuleResource, ServiceEntryResource } from '../resources/index.js'
import { type AnalysisContext, fullName, nsOf } from './analyze-context.js'
import { CODES } from './codes.js'
import type { Report } from './report.js'

/**
 * True when a client TLS setting leaves the upstream's certificate without a CA of its own:
 * SIMPLE or MUTUAL with neither `caCertificates` nor `credentialName` (whose Secret's `ca.crt`
 * the gateway uses). Istio's analyzer accepts `credentialName` only with a `workloadSelector`,
 * because sidecars ignore it; a gateway, which Portico is, reads it.
 */
function lacksCa(
  tls: ClientTLSSettings | undefined,
): tls is ClientTLSSettings & { mode: 'SIMPLE' | 'MUTUAL' } {
  if (tls === undefined || (tls.mode !== 'SIMPLE' && tls.mode !== 'MUTUAL')) return false
  return (tls.caCertificates ?? '') === '' && (tls.credentialName ?? '') === ''
}

/**
 * Istio's CaCertificateAnalyzer for one DestinationRule: SIMPLE or MUTUAL TLS towards the
 * upstream without a CA to check its certificate, at destination level (IST0128) and for each
 * port-level setting (IST0129).
 */
export function analyzeCaCertificates(report: Report, dr: DestinationRuleResource): void {
  const policy = dr.spec.trafficPolicy
  const head = `DestinationRule ${fullName(dr)} in namespace ${nsOf(dr)} has TLS mode set to`
  if (lacksCa(policy?.tls)) {
    report.warning(
      CODES.noCaDestinationLevel,
      `${head} ${policy.tls.mode} but no caCertificates are set to validate server identity for host: ${dr.spec.host}`,
      ['spec', 'trafficPolicy', 'tls'],
    )
  }
  for (const [i, p] of (policy?.portLevelSettings ?? []).entries()) {
    if (!lacksCa(p.tls)) continue
    report.warning(
      CODES.noCaPortLevel,
      `${head} ${p.tls.mode} but no caCertificates are set to validate server identity for host: ${dr.spec.host} at port ${p.port?.number ?? ''}`,
      ['spec', 'trafficPolicy', 'portLevelSettings', i, 'tls'],
    )
  }
}

/**
 * The labels of each endpoint a ServiceEntry gives the gateway, or `undefined` when they are not
 * known here (a `workloadSelector` selects workloads Portico does not read). A DNS entry without
 * endpoints resolves its host, an endpoint without labels.
 */
function endpointLabels(se: ServiceEntryResource): Readonly<Record<string, string>>[] | undefined {
  if (se.spec.workloadSelector !== undefined) return undefined
  const endpoints = se.spec.endpoints ?? []
  if (endpoints.length > 0) return endpoints.map((e) => e.labels ?? {})
  const resolution = se.spec.resolution ?? 'NONE'
  return resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN' ? [{}] : []
}

/**
 * Istio's PodNotSelectedAnalyzer for one DestinationRule, with ServiceEntry endpoints in place of
 * pods: a host that matches no service visible from the rule's namespace (IST0174), and a subset
 * whose labels select no endpoint of the host (IST0173: its cluster is empty, 503 UH).
 */
export function analyzeRuleHost(ctx: AnalysisContext, report: Report, dr: DestinationRuleResource): void {
  const services = ctx.servicesForRule(dr)
  if (services.length === 0) {
    report.warning(
      CODES.unknownDestinationRuleHost,
      `The host ${dr.spec.host} defined in the DestinationRule does not match any services in the mesh.`,
      ['spec', 'host'],
    )
    return
  }
  const endpoints: Readonly<Record<string, string>>[] = []
  for (const s of services) {
    if (s.kind !== 'ServiceEntry') return
    const labels = endpointLabels(s.entry)
    if (labels === undefined) return
    endpoints.push(...labels)
  }
  for (const [i, subset] of (dr.spec.subsets ?? []).entries()) {
    const wanted = Object.entries(subset.labels ?? {})
    if (endpoints.some((labels) => wanted.every(([k, v]) => Object.hasOwn(labels, k) && labels[k] === v)))
      continue
    report.warning(
      CODES.subsetSelectsNothing,
      `The Subset ${subset.name} defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).`,
      ['spec', 'subsets', i],
    )
  }
}
