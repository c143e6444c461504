/** The API group of the Kubernetes Gateway API. */
export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io'

/** True when an object's apiVersion is in the Gateway API group. */
export function isGatewayApiVersion(apiVersion: unknown): boolean {
  return typeof apiVersion === 'string' && apiVersion.startsWith(`${GATEWAY_API_GROUP}/`)
}

/**
 * The kind under which a resource is keyed in snapshots, stores and diagnostics: the kind as
 * written, except the Gateway API `Gateway`, which is `Gateway.gateway.networking.k8s.io` so that it
 * never collides with Istio's `Gateway` of the same name.
 */
export const K8S_GATEWAY_KIND = `Gateway.${GATEWAY_API_GROUP}`

/** {@link K8S_GATEWAY_KIND} for a Gateway API Gateway, else the kind as written. */
export function qualifiedKind(kind: string, apiVersion: unknown): string {
  return kind === 'Gateway' && isGatewayApiVersion(apiVersion) ? K8S_GATEWAY_KIND : kind
}
