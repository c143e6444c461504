import type { Diagnostic, ResourceRef } from '../diagnostics/diagnostic.js'
import { DEFAULT_NAMESPACE } from './names.js'
import { createSnapshot, kindKey, namespaceOf, type Snapshot, type SnapshotResource } from './snapshot.js'

/** The four changes of `istioctl create / replace / apply / delete`. */
export type ChangeOperation = 'create' | 'replace' | 'apply' | 'delete'

/** Names a resource to delete: kind (any of istioctl's spellings), namespace (default `default`), name. */
export interface ResourceKey {
  readonly kind: string
  readonly namespace?: string | undefined
  readonly name: string
}

/** What a change did to one resource. */
export interface ResourceChange {
  readonly action: 'created' | 'replaced' | 'unchanged' | 'deleted'
  readonly resource: ResourceRef
}

/** A change computed against one snapshot and not yet committed. */
export interface ChangePlan<R extends SnapshotResource = SnapshotResource> {
  readonly operation: ChangeOperation
  /** True when the change may be committed: no error among `diagnostics`. */
  readonly ok: boolean
  /** The snapshot the plan was computed from. */
  readonly base: Snapshot<R>
  /** The snapshot after the change (equals `base` when refused or when nothing changes). */
  readonly next: Snapshot<R>
  /** Per-resource outcome, in request order. */
  readonly changes: readonly ResourceChange[]
  /** Refusals (PTC42xx) and the findings of validating the whole resulting snapshot. */
  readonly diagnostics: readonly Diagnostic[]
}

/** The outcome of a change: accepted (a new snapshot, or the same one when nothing changed) or refused. */
export interface ChangeResult<R extends SnapshotResource = SnapshotResource> {
  readonly ok: boolean
  /** The store's snapshot after the change (the unchanged one when refused). */
  readonly snapshot: Snapshot<R>
  readonly changes: readonly ResourceChange[]
  readonly diagnostics: readonly Diagnostic[]
}

/** Called with every snapshot the store commits. */
export type SnapshotListener<R extends SnapshotResource> = (
  snapshot: Snapshot<R>,
  change: { readonly operation: ChangeOperation; readonly changes: readonly ResourceChange[] },
) => void

/** Options of {@link createConfigStore}. */
export interface ConfigStoreOptions<R extends SnapshotResource> {
  /** Initial resources (taken as they are; validate them before if they come from users). */
  readonly resources?: readonly R[]
  /** Version of the initial snapshot (default 1). */
  readonly version?: number
  /**
   * Validates a whole candidate resource set; a change whose result has an error is refused.
   * `validate` of `@portico/core` in normal use; without it only the store's own checks apply.
   */
  readonly validate?: (resources: readonly R[]) => readonly Diagnostic[]
}

/**
 * A versioned, in-memory resource store with `istioctl`'s verbs. Every change is validated as
 * the whole snapshot it would produce; a refused change leaves the store as it was. Pure: no
 * I/O and no timers; listeners run synchronously after a commit.
 */
export interface ConfigStore<R extends SnapshotResource = SnapshotResource> {
  /** The current snapshot. */
  readonly snapshot: Snapshot<R>
  /** Creates resources; refused if one of them exists (PTC4200). */
  create(resources: readonly R[]): ChangeResult<R>
  /** Replaces resources; refused if one of them does not exist (PTC4201). */
  replace(resources: readonly R[]): ChangeResult<R>
  /**
   * Creates or replaces; `prune` names resources to delete in the same change (ones that do not
   * exist are skipped), as a file watcher needs when a document disappears from a file.
   */
  apply(resources: readonly R[], prune?: readonly ResourceKey[]): ChangeResult<R>
  /** Deletes by kind/namespace/name; refused if one of them does not exist (PTC4202). */
  delete(keys: readonly ResourceKey[]): ChangeResult<R>
  /** Computes a change without committing it, e.g. to compile and load its certificates first. */
  plan(
    operation: 'create' | 'replace' | 'apply',
    resources: readonly R[],
    prune?: readonly ResourceKey[],
  ): ChangePlan<R>
  plan(operation: 'delete', keys: readonly ResourceKey[]): ChangePlan<R>
  /**
   * Commits a plan computed from the current snapshot. A plan that is not `ok`, or whose base is
   * no longer current (another change was committed meanwhile), is refused (PTC4205).
   */
  commit(plan: ChangePlan<R>): ChangeResult<R>
  /** Calls `listener` after every committed change; returns the unsubscribe function. */
  subscribe(listener: SnapshotListener<R>): () => void
}

/** Istio kinds with the names `istioctl` and `kubectl` accept for them (singular, plural, short). */
const KIND_NAMES: Readonly<Record<string, readonly string[]>> = {
  Gateway: ['gateway', 'gateways', 'gw'],
  VirtualService: ['virtualservice', 'virtualservices', 'vs'],
  DestinationRule: ['destinationrule', 'destinationrules', 'dr'],
  ServiceEntry: ['serviceentry', 'serviceentries', 'se'],
  WorkloadEntry: ['workloadentry', 'workloadentries', 'we'],
  Secret: ['secret', 'secrets'],
  RequestAuthentication: ['requestauthentication', 'requestauthentications', 'ra'],
  AuthorizationPolicy: ['authorizationpolicy', 'authorizationpolicies', 'ap'],
  'Gateway.gateway.networking.k8s.io': ['gateways.gateway.networking.k8s.io'],
  GatewayClass: ['gatewayclass', 'gatewayclasses', 'gc'],
  HTTPRoute: ['httproute', 'httproutes'],
  GRPCRoute: ['grpcroute', 'grpcroutes'],
  TLSRoute: ['tlsroute', 'tlsroutes'],
  TCPRoute: ['tcproute', 'tcproutes'],
  ReferenceGrant: ['referencegrant', 'referencegrants', 'refgrant'],
  Service: ['service', 'services', 'svc'],
  EndpointSlice: ['endpointslice', 'endpointslices'],
  Endpoints: ['endpoints', 'ep'],
  Namespace: ['namespace', 'namespaces', 'ns'],
}

const KIND_BY_NAME = new Map<string, string>()
for (const [kind, names] of Object.entries(KIND_NAMES)) for (const n of names) KIND_BY_NAME.set(n, kind)

/**
 * The canonical kind for a name as `istioctl delete` accepts it: case-insensitive, singular,
 * plural or short (`gw`, `vs`, `dr`, `se`), optionally qualified by its API group
 * (`gateways.networking.istio.io`). `undefined` for an unknown kind.
 */
export function canonicalKind(name: string): string | undefined {
  const lower = name.trim().toLowerCase()
  if (
    /^gateways?\.gateway\.networking\.k8s\.io$/.test(lower) ||
    lower === 'gateway.gateway.networking.k8s.io'
  ) {
    return 'Gateway.gateway.networking.k8s.io'
  }
  const dot = lower.indexOf('.')
  return KIND_BY_NAME.get(dot < 0 ? lower : lower.slice(0, dot))
}

function refOf(r: SnapshotResource): ResourceRef {
  return { kind: kindKey(r), namespace: namespaceOf(r), name: r.metadata.name }
}

function keyText(kind: string, namespace: string, name: string): string {
  return `${kind}\u0000${namespace}\u0000${name}`
}

function display(ref: ResourceRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`
}

function refusal(code: string, message: string, resource?: ResourceRef): Diagnostic {
  return resource === undefined
    ? { severity: 'error', code, message }
    : { severity: 'error', code, message, resource }
}

/** Structural equality of plain data (what YAML and JSON produce). */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined)
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined)
  if (ka.length !== kb.length) return false
  for (const k of ka) {
    if (!sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false
  }
  return true
}

/** Same data once an absent namespace reads as `default` (as the API server fills it in). */
function sameResource(a: SnapshotResource, b: SnapshotResource): boolean {
  const withNamespace = (r: SnapshotResource) => ({
    ...r,
    metadata: { ...r.metadata, namespace: namespaceOf(r) },
  })
  return sameData(withNamespace(a), withNamespace(b))
}

/** Creates a {@link ConfigStore} holding `options.resources` as its first snapshot. */
export function createConfigStore<R extends SnapshotResource = SnapshotResource>(
  options: ConfigStoreOptions<R> = {},
): ConfigStore<R> {
  let current = createSnapshot<R>(options.resources ?? [], { version: options.version ?? 1 })
  const listeners = new Set<SnapshotListener<R>>()
  const validate = options.validate

  function finish(
    operation: ChangeOperation,
    base: Snapshot<R>,
    upserts: readonly R[],
    deletes: readonly ResourceRef[],
    changes: readonly ResourceChange[],
    refusals: readonly Diagnostic[],
  ): ChangePlan<R> {
    if (refusals.length > 0) return { operation, ok: false, base, next: base, changes, diagnostics: refusals }
    if (upserts.length === 0 && deletes.length === 0) {
      return { operation, ok: true, base, next: base, changes, diagnostics: [] }
    }
    const next = base.apply(upserts, deletes)
    const diagnostics = validate === undefined ? [] : validate(next.resources)
    const ok = !diagnostics.some((d) => d.severity === 'error')
    return { operation, ok, base, next: ok ? next : base, changes, diagnostics }
  }

  function planUpserts(
    operation: 'create' | 'replace' | 'apply',
    resources: readonly R[],
    prune: readonly ResourceKey[] = [],
  ): ChangePlan<R> {
    const base = current
    const refusals: Diagnostic[] = []
    const changes: ResourceChange[] = []
    const upserts: R[] = []
    const seen = new Set<string>()
    for (const resource of resources) {
      const ref = refOf(resource)
      const key = keyText(ref.kind, ref.namespace, ref.name)
      if (seen.has(key)) {
        refusals.push(refusal('PTC4204', `${display(ref)} appears more than once in one change`, ref))
        continue
      }
      seen.add(key)
      const existing = base.get(ref.kind, ref.namespace, ref.name)
      if (operation === 'create' && existing !== undefined) {
        refusals.push(refusal('PTC4200', `${display(ref)} already exists; use replace or apply`, ref))
        continue
      }
      if (operation === 'replace' && existing === undefined) {
        refusals.push(refusal('PTC4201', `${display(ref)} does not exist; use create or apply`, ref))
        continue
      }
      if (existing !== undefined && sameResource(existing, resource)) {
        changes.push({ action: 'unchanged', resource: ref })
        continue
      }
      changes.push({ action: existing === undefined ? 'created' : 'replaced', resource: ref })
      upserts.push(resource)
    }
    const deletes: ResourceRef[] = []
    for (const key of prune) {
      const kind = canonicalKind(key.kind) ?? key.kind
      const namespace =
        key.namespace === undefined || key.namespace === '' ? DEFAULT_NAMESPACE : key.namespace
      if (seen.has(keyText(kind, namespace, key.name)) || base.get(kind, namespace, key.name) === undefined)
        continue
      const ref: ResourceRef = { kind, namespace, name: key.name }
      changes.push({ action: 'deleted', resource: ref })
      deletes.push(ref)
    }
    return finish(operation, base, upserts, deletes, changes, refusals)
  }

  function planDelete(keys: readonly ResourceKey[]): ChangePlan<R> {
    const base = current
    const refusals: Diagnostic[] = []
    const changes: ResourceChange[] = []
    const deletes: ResourceRef[] = []
    const seen = new Set<string>()
    for (const key of keys) {
      const namespace =
        key.namespace === undefined || key.namespace === '' ? DEFAULT_NAMESPACE : key.namespace
      const kind = canonicalKind(key.kind)
      if (kind === undefined) {
        const ref = { kind: key.kind, namespace, name: key.name }
        refusals.push(
          refusal(
            'PTC4203',
            `unknown kind "${key.kind}" (expected one of: ${Object.values(KIND_NAMES)
              .map((n) => n[0])
              .join(', ')})`,
            ref,
          ),
        )
        continue
      }
      const ref: ResourceRef = { kind, namespace, name: key.name }
      const text = keyText(kind, namespace, key.name)
      if (seen.has(text)) continue
      seen.add(text)
      if (base.get(kind, namespace, key.name) === undefined) {
        refusals.push(refusal('PTC4202', `${display(ref)} does not exist`, ref))
        continue
      }
      changes.push({ action: 'deleted', resource: ref })
      deletes.push(ref)
    }
    return finish('delete', base, [], deletes, changes, refusals)
  }

  function commit(plan: ChangePlan<R>): ChangeResult<R> {
    if (!plan.ok)
      return { ok: false, snapshot: current, changes: plan.changes, diagnostics: plan.diagnostics }
    if (plan.base !== current) {
      const stale = refusal(
        'PTC4205',
        `the configuration changed (version ${plan.base.version} → ${current.version}) while this change was prepared; retry it`,
      )
      return {
        ok: false,
        snapshot: current,
        changes: plan.changes,
        diagnostics: [stale, ...plan.diagnostics],
      }
    }
    if (plan.next !== current) {
      current = plan.next
      const change = { operation: plan.operation, changes: plan.changes }
      let failure: { error: unknown } | undefined
      for (const listener of [...listeners]) {
        try {
          listener(current, change)
        } catch (error) {
          failure ??= { error }
        }
      }
      if (failure !== undefined) throw failure.error
    }
    return { ok: true, snapshot: current, changes: plan.changes, diagnostics: plan.diagnostics }
  }

  function plan(
    operation: ChangeOperation,
    items: readonly R[] | readonly ResourceKey[],
    prune?: readonly ResourceKey[],
  ): ChangePlan<R> {
    return operation === 'delete'
      ? planDelete(items as readonly ResourceKey[])
      : planUpserts(operation, items as readonly R[], prune)
  }

  return {
    get snapshot() {
      return current
    },
    create: (resources) => commit(planUpserts('create', resources)),
    replace: (resources) => commit(planUpserts('replace', resources)),
    apply: (resources, prune) => commit(planUpserts('apply', resources, prune)),
    delete: (keys) => commit(planDelete(keys)),
    plan: plan as ConfigStore<R>['plan'],
    commit,
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
  }
}
