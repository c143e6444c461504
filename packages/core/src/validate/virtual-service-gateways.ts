import type { FieldPath } from '../diagnostics/diagnostic.js'
import { checkFqdn, goQuote, isDns1123Label } from './primitives.js'
import { VS_CODES } from './virtual-service-codes.js'
import type { VirtualServiceReport } from './virtual-service-report.js'

/**
 * Istio's `validateGatewayNames` for a `gateways` list at `path` (the VirtualService's own or a
 * match's): `mesh` and `name` must be domain names, `ns/name` two DNS-1123 labels, and the legacy
 * `name.ns` form is accepted with a warning.
 *
 * Istio stops at the first entry without a `/` (after judging it), so entries after `mesh` or a
 * plain name are not examined; Portico keeps that verdict.
 */
export function validateGatewayNames(
  report: VirtualServiceReport,
  gateways: readonly string[],
  path: FieldPath,
): void {
  for (const [index, name] of gateways.entries()) {
    const at = [...path, index]
    const slash = name.indexOf('/')
    if (slash < 0) {
      if (name.includes('.')) {
        const parts = name.split('.')
        report.warning(
          VS_CODES.legacyGatewayName,
          `using legacy gatewayName format ${goQuote(name)}; prefer the <namespace>/<name> format: ${goQuote(`${parts[1]}/${parts[0]}`)}`,
          at,
        )
      }
      const problem = checkFqdn(name)
      if (problem !== undefined) report.error(VS_CODES.invalidGatewayName, problem, at)
      return
    }
    const namespace = name.slice(0, slash)
    const gateway = name.slice(slash + 1)
    if (namespace === '' || gateway === '') {
      report.error(VS_CODES.invalidGatewayName, 'config namespace and gateway name cannot be empty', at)
    }
    if (!isDns1123Label(namespace)) {
      report.error(VS_CODES.invalidGatewayName, `invalid value for namespace: ${goQuote(namespace)}`, at)
    }
    if (!isDns1123Label(gateway)) {
      report.error(VS_CODES.invalidGatewayName, `invalid value for gateway name: ${goQuote(gateway)}`, at)
    }
  }
}
