import type { Diagnostic } from '../diagnostics/diagnostic.js'
import { sourceOf } from '../load/index.js'
import { isK8sGateway, type Resource } from '../resources/index.js'
import { type AnalyzeOptions, analyze } from './analyze.js'
import { CODES } from './codes.js'
import { validateDestinationRule } from './destination-rule.js'
import { validateGateway } from './gateway.js'
import { validateGatewayApiResource } from './gateway-api.js'
import { validateMetadata } from './metadata.js'
import { Report, refOf } from './report.js'
import { validateSecret } from './secret.js'
import { validateAuthorizationPolicy, validateRequestAuthentication } from './security.js'
import { analyzePolicies, type PolicyAnalyzeOptions } from './security-analyze.js'
import { validateServiceEntry } from './service-entry.js'
import { validateVirtualService } from './virtual-service.js'

export { type AnalyzeOptions, analyze } from './analyze.js'
export { CODES as VALIDATION_CODES, type ValidationCode } from './codes.js'
export { validateDestinationRule } from './destination-rule.js'
export { validateGateway } from './gateway.js'
export { GATEWAY_API_CODES, validateGatewayApiResource } from './gateway-api.js'
export * from './primitives.js'
export { validateSecret } from './secret.js'
export { validateAuthorizationPolicy, validateRequestAuthentication } from './security.js'
export { analyzePolicies, type PolicyAnalyzeOptions } from './security-analyze.js'
export { SECURITY_CODES } from './security-codes.js'
export { validateServiceEntry } from './service-entry.js'
export { validateVirtualService } from './virtual-service.js'

/**
 * Istio's admission verdict on one schema-valid resource (the webhook's `ValidateX` plus the
 * metadata rules): errors are what Istio rejects, warnings what it admits with a message.
 */
export function validateResource(resource: Resource): Diagnostic[] {
  switch (resource.kind) {
    case 'Gateway':
      return isK8sGateway(resource) ? validateGatewayApiResource(resource) : validateGateway(resource)
    case 'VirtualService': {
      const report = new Report(resource)
      validateMetadata(resource, report)
      return [...report.diagnostics, ...validateVirtualService(resource)]
    }
    case 'DestinationRule':
      return validateDestinationRule(resource)
    case 'ServiceEntry':
      return validateServiceEntry(resource)
    case 'Secret':
      return validateSecret(resource)
    case 'RequestAuthentication':
    case 'AuthorizationPolicy': {
      const report = new Report(resource)
      validateMetadata(resource, report)
      const own =
        resource.kind === 'RequestAuthentication'
          ? validateRequestAuthentication(resource)
          : validateAuthorizationPolicy(resource)
      return [...report.diagnostics, ...own]
    }
    default:
      return validateGatewayApiResource(resource)
  }
}

/** Options of {@link validate}. */
export type ValidateOptions = AnalyzeOptions &
  PolicyAnalyzeOptions & {
    /**
     * Resources the schema refused, salvaged by the loader (`LoadResult.rejected`): analyzed with
     * the others, as `istioctl analyze` analyzes resources that fail validation, so that their
     * own findings are reported and references to them are not reported missing. Their schema
     * errors are the loader's; they are never validated as admitted resources nor served.
     */
    readonly rejected?: readonly Resource[]
  }

/**
 * Judges a whole config set: every resource on its own ({@link validateResource}), two resources
 * with the same kind, namespace and name, then the cross-resource {@link analyze} and
 * {@link analyzePolicies} findings
 * (warnings only). The config is valid when no diagnostic is an error.
 *
 * Duplicates: resources read from files follow `kubectl apply` (the later document replaces the
 * earlier one; the loader warns, PTC1006), so only pairs where a resource was built in code are
 * reported here, as an error (PTC2290): a snapshot cannot hold two objects with one identity.
 */
export function validate(resources: readonly Resource[], options: ValidateOptions = {}): Diagnostic[] {
  const diagnostics: Diagnostic[] = []
  const seen = new Map<string, Resource>()
  for (const resource of resources) {
    diagnostics.push(...validateResource(resource))
    const ref = refOf(resource)
    const key = `${ref.kind}/${ref.namespace}/${ref.name}`
    const first = seen.get(key)
    if (first === undefined) {
      seen.set(key, resource)
      continue
    }
    if (sourceOf(first) !== undefined && sourceOf(resource) !== undefined) continue
    const report = new Report(resource)
    report.error(
      CODES.duplicateResource,
      `${ref.kind} ${ref.namespace}/${ref.name} is defined more than once${describeOrigin(first)}`,
      ['metadata', 'name'],
    )
    diagnostics.push(...report.diagnostics)
  }
  const analyzed = options.rejected === undefined ? resources : [...resources, ...options.rejected]
  diagnostics.push(...analyze(analyzed, options), ...analyzePolicies(analyzed, options))
  return diagnostics
}

function describeOrigin(first: Resource): string {
  const source = sourceOf(first)?.locate(['metadata', 'name'])
  return source === undefined ? '' : ` (first at ${source.file}:${source.line}:${source.column})`
}
