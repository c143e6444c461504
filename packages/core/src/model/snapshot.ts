import type { ResourceRef } from '../diagnostics/diagnostic.js'
import { qualifiedKind } from './kinds.js'
import { DEFAULT_NAMESPACE } from './names.js'

/**
 * The least a resource must carry to live in a snapshot: its kind and metadata. Every loaded
 * `Resource` (Gateway, VirtualService, DestinationRule, ServiceEntry, Secret) has this shape.
 */
export interface SnapshotResource {
  readonly kind: string
  /** Tells Istio's `Gateway` from the Gateway API's (keyed as `Gateway.gateway.networking.k8s.io`). */
  readonly apiVersion?: string | undefined
  readonly metadata: {
    readonly name: string
    readonly namespace?: string | undefined
  }
}

/**
 * An immutable, versioned set of resources, in load order (Istio orders by creation time; for
 * files that is file order, then document order). Lookups by kind and by kind/namespace/name.
 */
export interface Snapshot<R extends SnapshotResource = SnapshotResource> {
  readonly version: number
  /** All resources in order. */
  readonly resources: readonly R[]
  /** Resources of one kind, in order. */
  list(kind: string): readonly R[]
  /** One resource; `namespace` defaults to `default`. */
  get(kind: string, namespace: string | undefined, name: string): R | undefined
  /**
   * A new snapshot (version + 1) with `upserts` applied (a resource with an existing
   * kind/namespace/name replaces it in place, new ones are appended) and `deletes` removed,
   * as `istioctl create/replace/delete` would.
   */
  apply(
    upserts: readonly R[],
    deletes?: readonly Omit<ResourceRef, 'namespace'>[] | readonly ResourceRef[],
  ): Snapshot<R>
}

/** The namespace of a resource (`default` when absent). */
export function namespaceOf(resource: SnapshotResource): string {
  const ns = resource.metadata.namespace
  return ns === undefined || ns === '' ? DEFAULT_NAMESPACE : ns
}

/** The kind a snapshot keys a resource by (the Gateway API `Gateway` is `Gateway.gateway.networking.k8s.io`). */
export function kindKey(resource: SnapshotResource): string {
  return qualifiedKind(resource.kind, resource.apiVersion)
}

function keyOf(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}\u0000${namespace === undefined || namespace === '' ? DEFAULT_NAMESPACE : namespace}\u0000${name}`
}

class SnapshotImpl<R extends SnapshotResource> implements Snapshot<R> {
  readonly version: number
  readonly resources: readonly R[]
  readonly #byKey: Map<string, R>
  readonly #byKind: Map<string, R[]>

  constructor(resources: readonly R[], version: number) {
    const byKey = new Map<string, R>()
    const order: string[] = []
    for (const r of resources) {
      const key = keyOf(kindKey(r), r.metadata.namespace, r.metadata.name)
      if (!byKey.has(key)) order.push(key)
      byKey.set(key, r)
    }
    this.resources = Object.freeze(order.map((k) => byKey.get(k)!))
    this.version = version
    this.#byKey = byKey
    this.#byKind = new Map()
    for (const r of this.resources) {
      let list = this.#byKind.get(kindKey(r))
      if (list === undefined) {
        list = []
        this.#byKind.set(kindKey(r), list)
      }
      list.push(r)
    }
    Object.freeze(this)
  }

  list(kind: string): readonly R[] {
    return this.#byKind.get(kind) ?? []
  }

  get(kind: string, namespace: string | undefined, name: string): R | undefined {
    return this.#byKey.get(keyOf(kind, namespace, name))
  }

  apply(
    upserts: readonly R[],
    deletes: readonly Omit<ResourceRef, 'namespace'>[] | readonly ResourceRef[] = [],
  ): Snapshot<R> {
    const gone = new Set(
      deletes.map((d) => keyOf(d.kind, 'namespace' in d ? (d.namespace as string) : undefined, d.name)),
    )
    const kept = this.resources.filter(
      (r) => !gone.has(keyOf(kindKey(r), r.metadata.namespace, r.metadata.name)),
    )
    return new SnapshotImpl([...kept, ...upserts], this.version + 1)
  }
}

/**
 * Builds a snapshot from loaded resources (order kept; a later resource with the same
 * kind/namespace/name replaces the earlier one in its position). `version` defaults to 1.
 */
export function createSnapshot<R extends SnapshotResource>(
  resources: readonly R[],
  options?: { version?: number },
): Snapshot<R> {
  return new SnapshotImpl(resources, options?.version ?? 1)
}
