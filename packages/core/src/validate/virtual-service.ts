import type { Diagnostic } from '../diagnostics/diagnostic.js'
import { namesOverlap } from '../model/hosts.js'
import { isIpAddress, MESH_GATEWAY } from '../model/names.js'
import type { VirtualServiceResource } from '../resources/index.js'
import type { HTTPRoute, VirtualServiceSpec } from '../resources/virtual-service.js'
import { validateHttpRoute } from './http-route.js'
import { checkExportTo, isJwtClaimHeader } from './primitives.js'
import { Report } from './report.js'
import { VS_CODES } from './virtual-service-codes.js'
import { validateGatewayNames } from './virtual-service-gateways.js'
import { checkVirtualServiceHost } from './virtual-service-hosts.js'
import { validateTcpRoute, validateTlsRoute } from './virtual-service-l4.js'
import type { VirtualServiceReport } from './virtual-service-report.js'
import { analyzeUnreachableHttpRules, analyzeUnreachableL4Rules } from './virtual-service-unreachable.js'

/**
 * Judges one VirtualService the way Istio's admission webhook does (`ValidateVirtualService`
 * and the HTTP, TLS and TCP route rules under it). Errors are what Istio rejects; warnings are
 * what it admits with a message (legacy gateway names, deprecated `mirrorPercent`, abort
 * without an error type, IP SNI hosts, large bodies, unreachable rules IST0130 and
 * ineffective matches IST0131). Each diagnostic carries the resource, the field path and, for
 * resources loaded from a file, the source position. Never throws on a schema-valid resource.
 */
export function validateVirtualService(resource: VirtualServiceResource): Diagnostic[] {
  const report: VirtualServiceReport = new Report(resource)
  const namespace = report.resource.namespace
  const spec: VirtualServiceSpec = resource.spec ?? {}
  const hosts = spec.hosts ?? []
  const gateways = spec.gateways ?? []
  const http = spec.http ?? []
  const tls = spec.tls ?? []
  const tcp = spec.tcp ?? []

  if (hosts.length === 0) {
    const delegateRule = (field: string, message: string): void =>
      report.error(VS_CODES.delegateShape, message, ['spec', field])
    if (gateways.length > 0) {
      delegateRule('gateways', 'delegate virtual service must have no gateways specified')
    }
    if (tls.length > 0) delegateRule('tls', 'delegate virtual service must have no tls route specified')
    if (tcp.length > 0) delegateRule('tcp', 'delegate virtual service must have no tcp route specified')
  }

  let boundToGateway = false
  if (gateways.length > 0) {
    validateGatewayNames(report, gateways, ['spec', 'gateways'])
    boundToGateway = !gateways.includes(MESH_GATEWAY)
  }
  if (!boundToGateway) checkJwtClaimRouting(report, http, gateways)

  const hasSni = tls.some((route) => (route?.match ?? []).some((m) => (m?.sniHosts ?? []).length > 0))
  let hostsValid = true
  for (const [index, host] of hosts.entries()) {
    const problem = checkVirtualServiceHost(host, boundToGateway, hasSni)
    if (problem !== undefined) {
      if (!isIpAddress(host)) {
        report.error(VS_CODES.invalidHost, problem, ['spec', 'hosts', index])
        hostsValid = false
      }
    } else if (!boundToGateway && host === '*') {
      report.error(
        VS_CODES.wildcardMeshHost,
        'wildcard host * is not allowed for virtual services bound to the mesh gateway',
        ['spec', 'hosts', index],
      )
      hostsValid = false
    }
  }
  if (hostsValid) {
    for (let i = 0; i < hosts.length; i++) {
      for (let j = i + 1; j < hosts.length; j++) {
        const a = hosts[i] as string
        const b = hosts[j] as string
        if (namesOverlap(a, b)) {
          report.error(VS_CODES.duplicateHost, `duplicate hosts in virtual service: ${a} & ${b}`, [
            'spec',
            'hosts',
            j,
          ])
        }
      }
    }
  }

  if (http.length === 0 && tcp.length === 0 && tls.length === 0) {
    report.error(VS_CODES.noRoutes, 'http, tcp or tls must be provided in virtual service', ['spec'])
  }
  for (const [index, route] of http.entries()) {
    if (route == null) {
      report.error(VS_CODES.nullEntry, 'http route may not be null', ['spec', 'http', index])
      continue
    }
    validateHttpRoute(report, route, ['spec', 'http', index], hosts.length === 0)
  }
  const tlsContext = { hosts, sniGatewayForm: !gateways.includes(MESH_GATEWAY) }
  for (const [index, route] of tls.entries()) {
    validateTlsRoute(report, route, ['spec', 'tls', index], tlsContext)
  }
  for (const [index, route] of tcp.entries()) {
    validateTcpRoute(report, route, ['spec', 'tcp', index])
  }
  for (const problem of checkExportTo(namespace, spec.exportTo ?? [])) {
    report.error(VS_CODES.invalidExportTo, problem, ['spec', 'exportTo'])
  }

  analyzeUnreachableHttpRules(report, http, ['spec', 'http'])
  analyzeUnreachableL4Rules(report, tcp, ['spec', 'tcp'])
  analyzeUnreachableL4Rules(report, tls, ['spec', 'tls'])
  return report.diagnostics
}

/** JWT claim routing (`@request.auth.claims.*` header keys) works on gateways only. */
function checkJwtClaimRouting(
  report: VirtualServiceReport,
  http: readonly HTTPRoute[],
  gateways: readonly string[],
): void {
  for (const [routeIndex, route] of http.entries()) {
    for (const [matchIndex, match] of (route?.match ?? []).entries()) {
      for (const field of ['headers', 'withoutHeaders'] as const) {
        for (const key of Object.keys(match?.[field] ?? {})) {
          if (!isJwtClaimHeader(key)) continue
          report.error(
            VS_CODES.jwtClaimWithoutGateway,
            `JWT claim based routing (key: ${key}) is only supported for gateway, found no gateways: [${gateways.join(' ')}]`,
            ['spec', 'http', routeIndex, 'match', matchIndex, field, key],
          )
        }
      }
    }
  }
}
