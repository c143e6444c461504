import type { Diagnostic } from '../diagnostics/diagnostic.js'
import { DEFAULT_NAMESPACE } from '../model/names.js'
import {
  DEFAULT_GATEWAY_LABELS,
  DEFAULT_GATEWAY_NAMESPACE,
  formatLabels,
  policyScope,
  ROOT_NAMESPACE,
} from '../policy/scope.js'
import type { GatewayResource, Resource } from '../resources/index.js'
import { Report } from './report.js'
import { SECURITY_CODES as C } from './security-codes.js'

/** Who the gateway is, for {@link analyzePolicies} (the `serve --label` / `--namespace` values). */
export interface PolicyAnalyzeOptions {
  /** Labels of the gateway process (default `istio=ingressgateway`). */
  readonly gatewayLabels?: Readonly<Record<string, string>>
  /** Namespace of the gateway (default `istio-system`). */
  readonly gatewayNamespace?: string
}

/**
 * Which RequestAuthentications and AuthorizationPolicies can never reach this gateway, as
 * warnings: a selector its labels do not satisfy (IST0127, Istio's NoMatchingWorkloadsFound),
 * a namespace other than the root and the gateway's (PTC3600), `targetRefs` naming no Gateway
 * it serves (PTC3601).
 */
export function analyzePolicies(
  resources: readonly Resource[],
  options: PolicyAnalyzeOptions = {},
): Diagnostic[] {
  const labels = options.gatewayLabels ?? DEFAULT_GATEWAY_LABELS
  const namespace = options.gatewayNamespace ?? DEFAULT_GATEWAY_NAMESPACE
  const gateways = resources
    .filter((r): r is GatewayResource => r.kind === 'Gateway')
    .filter((g) => Object.entries(g.spec.selector ?? {}).every(([k, v]) => labels[k] === v))
    .map((g) => ({ namespace: g.metadata.namespace ?? DEFAULT_NAMESPACE, name: g.metadata.name }))
  const out: Diagnostic[] = []
  for (const r of resources) {
    if (r.kind !== 'RequestAuthentication' && r.kind !== 'AuthorizationPolicy') continue
    const scope = policyScope(r, { labels, namespace, gateways })
    if (scope.applies) continue
    const report = new Report(r)
    const ns = r.metadata.namespace ?? DEFAULT_NAMESPACE
    switch (scope.why) {
      case 'namespace':
        report.warning(
          C.policyOutOfScope,
          `${r.kind} ${ns}/${r.metadata.name} never applies to this gateway: only policies in the root namespace ${ROOT_NAMESPACE} or the gateway's namespace ${namespace} do`,
          ['metadata', 'namespace'],
        )
        break
      case 'selector':
        report.warning(
          C.noMatchingWorkloads,
          `No matching workloads for this resource with the following labels: ${formatLabels(r.spec.selector?.matchLabels ?? {})}`,
          ['spec', 'selector'],
        )
        break
      case 'targetRefs':
        report.warning(
          C.policyTargetNotFound,
          `${r.kind} ${ns}/${r.metadata.name} names no Gateway this gateway serves in namespace ${ns}; it does not apply`,
          ['spec', r.spec.targetRefs !== undefined ? 'targetRefs' : 'targetRef'],
        )
        break
    }
    out.push(...report.diagnostics)
  }
  return out
}
