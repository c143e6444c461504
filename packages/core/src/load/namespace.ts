import type { Diagnostic } from '../diagnostics/diagnostic.js'
import type { SnapshotResource } from '../model/snapshot.js'
import { objectMetaSchema, qualifiedKind } from '../resources/index.js'
import { LOAD_CODES } from './codes.js'
import { setSourceOf, sourceOf } from './source.js'

/** Kinds that belong to no namespace: a namespace given for a change does not apply to them. */
const CLUSTER_SCOPED: ReadonlySet<string> = new Set(['Namespace', 'GatewayClass'])

/** Resources placed in a namespace by {@link inNamespace}, and the ones that refused. */
export interface InNamespaceResult<R extends SnapshotResource> {
  /** Every resource, those without `metadata.namespace` now in the namespace given (copies, positions kept). */
  readonly resources: R[]
  /** One error per resource whose own `metadata.namespace` differs from the namespace given. */
  readonly diagnostics: Diagnostic[]
}

/**
 * kubectl's rule for `-n NS` with `-f` files: a namespaced resource without
 * `metadata.namespace` goes to `namespace`; one that names another namespace is an error (PTC1007)
 * at its `metadata.namespace`; cluster-scoped kinds (Namespace, GatewayClass) are left as they are.
 * A namespace that is not a DNS-1123 label is one error (PTC1016) and places nothing. `flag` names
 * the option in messages (default `--namespace`). Never throws.
 */
export function inNamespace<R extends SnapshotResource>(
  resources: readonly R[],
  namespace: string,
  flag = '--namespace',
): InNamespaceResult<R> {
  const valid = objectMetaSchema.shape.namespace.safeParse(namespace)
  if (!valid.success || namespace === '') {
    const reason = valid.success ? 'it is empty' : (valid.error.issues[0]?.message ?? 'not a namespace name')
    return {
      resources: [...resources],
      diagnostics: [
        {
          severity: 'error',
          code: LOAD_CODES.badValue,
          message: `the namespace "${namespace}" given with ${flag} is not a namespace name: ${reason}`,
        },
      ],
    }
  }
  const out: R[] = []
  const diagnostics: Diagnostic[] = []
  for (const resource of resources) {
    const own = resource.metadata.namespace
    if (CLUSTER_SCOPED.has(resource.kind) || own === namespace) {
      out.push(resource)
      continue
    }
    if (own === undefined) {
      const placed = { ...resource, metadata: { ...resource.metadata, namespace } } as R
      const source = sourceOf(resource)
      if (source !== undefined) setSourceOf(placed, source)
      out.push(placed)
      continue
    }
    out.push(resource)
    const source = sourceOf(resource)?.locate(['metadata', 'namespace'])
    diagnostics.push({
      severity: 'error',
      code: LOAD_CODES.namespaceMismatch,
      message: `the namespace from the provided object "${own}" does not match the namespace "${namespace}" given with ${flag}; pass ${flag} ${own} for this resource, or leave its metadata.namespace out`,
      resource: {
        kind: qualifiedKind(resource.kind, resource.apiVersion),
        namespace: own,
        name: resource.metadata.name,
      },
      path: 'metadata.namespace',
      ...(source ? { source } : {}),
    })
  }
  return { resources: out, diagnostics }
}
