import type { Diagnostic } from '../diagnostics/diagnostic.js'
import type { Resource } from '../resources/index.js'
import { AnalysisContext } from './analyze-context.js'
import { analyzeCaCertificates, analyzeRuleHost } from './analyze-destination-rule.js'
import {
  analyzeConflictingGateways,
  analyzeCredentials,
  analyzeDuplicateCertificates,
  analyzeSelector,
} from './analyze-gateway.js'
import { analyzeServiceEntryProtocols } from './analyze-service-entry.js'
import {
  analyzeDeprecations,
  analyzeDestinations,
  analyzeGatewayBinding,
  analyzeJwtClaimRoutes,
} from './analyze-virtual-service.js'
import { Report } from './report.js'

/** Options of {@link analyze}. */
export interface AnalyzeOptions {
  /**
   * Destination hosts that exist without a ServiceEntry (a programmatic service registry):
   * FQDNs (`httpbin.default.svc.cluster.local`) or wildcard names (`*.internal`). A destination
   * is known when one of these covers its resolved name; its ports are not checked.
   */
  readonly knownHosts?: Iterable<string>
  /**
   * The gateway process's labels, which Gateway selectors must match (`serve --label`);
   * default `istio=ingressgateway`.
   */
  readonly gatewayLabels?: Readonly<Record<string, string>>
  /**
   * The namespace the gateway runs in, for which RequestAuthentications reach it (`serve
   * --namespace`); default `istio-system`.
   */
  readonly gatewayNamespace?: string
  /** The instant certificates must be valid at; default now. */
  readonly now?: Date
}

/**
 * Cross-resource findings in the manner of `istioctl analyze`, all as warnings (the cluster
 * admits such objects; Istio serves them and answers 404/503 at request time). Each carries
 * Istio's code, the resource Istio reports and the field path:
 * - Gateway: a selector that does not match the gateway's labels (IST0101 `selector`); for
 *   selected Gateways, a `credentialName` with no Secret (IST0101) or an unusable one (IST0161);
 *   two Gateways sharing a certificate (IST0138); conflicting servers (IST0145).
 * - VirtualService: an internal gateway name (IST0165), a missing gateway (IST0101 and IST0132),
 *   hosts no server admits (IST0132); destinations whose host (IST0101), port (IST0101
 *   `host:port`, IST0112) or subset (IST0101) does not exist; deprecated fields (IST0002); JWT
 *   claim routes on a gateway no RequestAuthentication reaches (IST0149).
 * - DestinationRule: TLS without a CA (IST0128, IST0129), a host no service matches (IST0174), a
 *   subset that selects no endpoint (IST0173).
 * - ServiceEntry: one host and port declared with different protocols (IST0177).
 * Unreachable rules inside one VirtualService (IST0130, IST0131) are reported by its own validation.
 */
export function analyze(resources: readonly Resource[], options: AnalyzeOptions = {}): Diagnostic[] {
  const ctx = new AnalysisContext(resources, options)
  const diagnostics: Diagnostic[] = []
  for (const gw of ctx.gateways.values()) {
    const report = new Report(gw)
    if (analyzeSelector(ctx, report, gw)) analyzeCredentials(ctx, report, gw)
    diagnostics.push(...report.diagnostics)
  }
  diagnostics.push(...analyzeDuplicateCertificates(ctx), ...analyzeConflictingGateways(ctx))
  for (const vs of ctx.virtualServices) {
    const report = new Report(vs)
    analyzeGatewayBinding(ctx, report, vs)
    analyzeDestinations(ctx, report, vs)
    analyzeDeprecations(report, vs)
    analyzeJwtClaimRoutes(ctx, report, vs)
    diagnostics.push(...report.diagnostics)
  }
  for (const dr of ctx.destinationRules) {
    const report = new Report(dr)
    analyzeCaCertificates(report, dr)
    analyzeRuleHost(ctx, report, dr)
    diagnostics.push(...report.diagnostics)
  }
  diagnostics.push(...analyzeServiceEntryProtocols(ctx))
  return diagnostics
}
