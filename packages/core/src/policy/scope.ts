import type { ResourceRef } from '../diagnostics/diagnostic.js'
import { DEFAULT_NAMESPACE } from '../model/names.js'
import type { PolicySelector, PolicyTargetReference } from '../resources/index.js'

/** Istio's root namespace: policies there apply to every workload they select. */
export const ROOT_NAMESPACE = 'istio-system'

/** The namespace Istio's ingress gateway runs in, and so Portico's default gateway namespace. */
export const DEFAULT_GATEWAY_NAMESPACE = 'istio-system'

/** The labels a gateway process carries unless told otherwise (`serve --label`). */
export const DEFAULT_GATEWAY_LABELS: Readonly<Record<string, string>> = { istio: 'ingressgateway' }

/** Who this gateway is, for deciding which policies reach it. */
export interface GatewayWorkload {
  /** Labels of the gateway process (default `istio=ingressgateway`). */
  readonly labels?: Readonly<Record<string, string>>
  /** Namespace the gateway runs in (default `istio-system`). */
  readonly namespace?: string
  /** The Gateways this process serves, for `targetRefs` (kind `Gateway` in the policy's namespace). */
  readonly gateways?: readonly Pick<ResourceRef, 'namespace' | 'name'>[]
}

/** A policy as scope selection reads it. */
export interface ScopedPolicy {
  readonly metadata: { readonly namespace?: string | undefined; readonly name: string }
  readonly spec: {
    readonly selector?: PolicySelector | undefined
    readonly targetRef?: PolicyTargetReference | undefined
    readonly targetRefs?: readonly PolicyTargetReference[] | undefined
  }
}

/** Why a policy does or does not apply to a gateway. */
export type PolicyScope =
  | { readonly applies: true; readonly by: 'namespace' | 'selector' | 'targetRefs' }
  | { readonly applies: false; readonly why: 'namespace' | 'selector' | 'targetRefs' }

/**
 * Istio's scope rule for a security policy and one gateway: only a policy in the root namespace
 * (`istio-system`) or the gateway's own namespace can apply; among those, one with
 * `selector.matchLabels` applies when every label is on the gateway, one with `targetRefs`
 * (or `targetRef`) when it names a Gateway this process serves in the policy's namespace, and one
 * with neither always applies.
 */
export function policyScope(policy: ScopedPolicy, workload: GatewayWorkload = {}): PolicyScope {
  const namespace = policy.metadata.namespace ?? DEFAULT_NAMESPACE
  const gatewayNamespace = workload.namespace ?? DEFAULT_GATEWAY_NAMESPACE
  if (namespace !== ROOT_NAMESPACE && namespace !== gatewayNamespace)
    return { applies: false, why: 'namespace' }
  const spec = policy.spec
  const refs = spec.targetRefs ?? (spec.targetRef === undefined ? [] : [spec.targetRef])
  if (refs.length > 0) {
    const served = workload.gateways ?? []
    const named = refs.some(
      (ref) => ref.kind === 'Gateway' && served.some((g) => g.name === ref.name && g.namespace === namespace),
    )
    return named ? { applies: true, by: 'targetRefs' } : { applies: false, why: 'targetRefs' }
  }
  if (spec.selector !== undefined) {
    const labels = workload.labels ?? DEFAULT_GATEWAY_LABELS
    const ok = Object.entries(spec.selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v)
    return ok ? { applies: true, by: 'selector' } : { applies: false, why: 'selector' }
  }
  return { applies: true, by: 'namespace' }
}

/** A label map as Kubernetes prints a selector: `k1=v1,k2=v2`, keys sorted. */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',')
}
