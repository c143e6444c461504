import type { FieldPath } from '../diagnostics/diagnostic.js'
import { nameSubsetOf } from '../model/hosts.js'
import { isIpAddress } from '../model/names.js'
import type {
  L4MatchAttributes,
  TCPRoute,
  TLSMatchAttributes,
  TLSRoute,
} from '../resources/virtual-service.js'
import { validateDestinations } from './http-route.js'
import { validateMatchCommon } from './http-route-match.js'
import { checkCidr, goQuote } from './primitives.js'
import { VS_CODES } from './virtual-service-codes.js'
import { checkVirtualServiceHost } from './virtual-service-hosts.js'
import type { VirtualServiceReport } from './virtual-service-report.js'

/** What the TLS rules need to know about the VirtualService around them. */
export interface TlsRouteContext {
  /** The VirtualService's `hosts`. */
  readonly hosts: readonly string[]
  /**
   * True when `gateways` does not name `mesh` (also when it is empty, as Istio's `isGateway`):
   * SNI hosts may then take the `outbound_.<port>_._.<host>` form.
   */
  readonly sniGatewayForm: boolean
}

function validateSubnets(
  report: VirtualServiceReport,
  subnets: readonly string[] | undefined,
  path: FieldPath,
): void {
  for (const [index, subnet] of (subnets ?? []).entries()) {
    const problem = checkCidr(subnet)
    if (problem !== undefined) report.error(VS_CODES.invalidSubnet, problem, [...path, index])
  }
}

/** Istio's `validateTLSRoute` for `spec.tls[index]`. */
export function validateTlsRoute(
  report: VirtualServiceReport,
  route: TLSRoute,
  path: FieldPath,
  context: TlsRouteContext,
): void {
  if (route == null) return
  const matches = route.match ?? []
  if (matches.length === 0) {
    report.error(VS_CODES.tlsWithoutMatch, 'TLS route must have at least one match condition', [
      ...path,
      'match',
    ])
  }
  for (const [index, match] of matches.entries()) {
    validateTlsMatch(report, match, [...path, 'match', index], context)
  }
  if ((route.route ?? []).length === 0) {
    report.error(VS_CODES.l4WithoutRoute, 'TLS route is required', [...path, 'route'])
  }
  validateDestinations(report, route.route ?? [], [...path, 'route'])
}

function validateTlsMatch(
  report: VirtualServiceReport,
  match: TLSMatchAttributes,
  path: FieldPath,
  context: TlsRouteContext,
): void {
  if (match == null) {
    report.error(VS_CODES.nullEntry, 'TLS match may not be null', path)
    return
  }
  const sniHosts = match.sniHosts ?? []
  if (sniHosts.length === 0) {
    report.error(VS_CODES.tlsWithoutSni, 'TLS match must have at least one SNI host', [...path, 'sniHosts'])
  }
  for (const [index, sniHost] of sniHosts.entries()) {
    validateSniHost(report, sniHost, [...path, 'sniHosts', index], context)
  }
  validateSubnets(report, match.destinationSubnets, [...path, 'destinationSubnets'])
  validateMatchCommon(report, match, path, false)
}

/** Istio's `validateSniHost`: a (wildcard) domain inside one of the VirtualService's hosts. */
function validateSniHost(
  report: VirtualServiceReport,
  sniHost: string,
  path: FieldPath,
  context: TlsRouteContext,
): void {
  const problem = checkVirtualServiceHost(sniHost, context.sniGatewayForm, true)
  if (problem !== undefined) {
    if (isIpAddress(sniHost)) {
      report.warning(
        VS_CODES.ipSniHost,
        `using an IP address (${goQuote(sniHost)}) goes against SNI spec and most clients do not support this`,
        path,
      )
    } else {
      report.error(VS_CODES.invalidSniHost, problem, path)
    }
    return
  }
  if (context.hosts.some((host) => nameSubsetOf(sniHost, host))) return
  report.error(
    VS_CODES.sniHostOutsideHosts,
    `SNI host ${goQuote(sniHost)} is not a compatible subset of any of the virtual service hosts: [${context.hosts.join(', ')}]`,
    path,
  )
}

/** Istio's `validateTCPRoute` for `spec.tcp[index]`. */
export function validateTcpRoute(report: VirtualServiceReport, route: TCPRoute, path: FieldPath): void {
  if (route == null) return
  for (const [index, match] of (route.match ?? []).entries()) {
    validateTcpMatch(report, match, [...path, 'match', index])
  }
  if ((route.route ?? []).length === 0) {
    report.error(VS_CODES.l4WithoutRoute, 'TCP route is required', [...path, 'route'])
  }
  validateDestinations(report, route.route ?? [], [...path, 'route'])
}

function validateTcpMatch(report: VirtualServiceReport, match: L4MatchAttributes, path: FieldPath): void {
  if (match == null) {
    report.error(VS_CODES.nullEntry, 'tcp match may not be nil', path)
    return
  }
  validateSubnets(report, match.destinationSubnets, [...path, 'destinationSubnets'])
  validateMatchCommon(report, match, path, false)
}
