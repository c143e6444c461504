import type { Resource } from '../resources/index.js'
import { CODES } from './codes.js'
import { isDns1123Label } from './primitives.js'
import type { Report } from './report.js'

const ALWAYS_REJECT = 'internal.istio.io/webhook-always-reject'
const INTERNAL_PARENT_NAMESPACE = 'internal.istio.io/parent-namespace'
const INTERNAL_PARENTS = 'internal.istio.io/parents'
const DRY_RUN = 'istio.io/dry-run'

/**
 * Istio's metadata rules (`validateMetadata`, `ValidateGateway`'s name rule) for the networking
 * kinds: no `istio.io/dry-run` (only AuthorizationPolicy may carry it), none of the internal
 * annotations, and a Gateway name must be a DNS-1123 label. Name and namespace syntax are the
 * schema's (Kubernetes) rules and are reported by the loader.
 */
export function validateMetadata(resource: Resource, report: Report): void {
  if (resource.kind === 'Secret') return
  const meta = resource.metadata
  const annotations = meta.annotations ?? {}
  const at = (key: string) => ['metadata', 'annotations', key]
  if (Object.hasOwn(annotations, DRY_RUN) && resource.kind !== 'AuthorizationPolicy') {
    report.error(
      CODES.forbiddenAnnotation,
      `${report.resource.namespace}/${meta.name} has unsupported annotation ${DRY_RUN}, please remove the annotation`,
      at(DRY_RUN),
    )
  }
  if (Object.hasOwn(annotations, ALWAYS_REJECT)) {
    report.error(
      CODES.forbiddenAnnotation,
      `"${ALWAYS_REJECT}" annotation found, rejecting`,
      at(ALWAYS_REJECT),
    )
  }
  for (const key of [INTERNAL_PARENT_NAMESPACE, INTERNAL_PARENTS]) {
    if (Object.hasOwn(annotations, key)) {
      report.error(
        CODES.forbiddenAnnotation,
        `"${key}" annotation found, this may not be set by users`,
        at(key),
      )
    }
  }
  if (resource.kind === 'Gateway' && !isDns1123Label(meta.name)) {
    report.error(CODES.gatewayName, `invalid gateway name: ${JSON.stringify(meta.name)}`, [
      'metadata',
      'name',
    ])
  }
}
