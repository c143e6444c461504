import {
  type Diagnostic,
  namespaceOf,
  parseResources,
  type Resource,
  type SnapshotResource,
} from '@portico/core'
import { PTC_BAD_VALUE, PTC_KEY_IGNORED } from './codes.js'

/**
 * The plural resource name of every kind Portico reads, as its API server (or CRD) declares it:
 * the name under which Kubernetes keeps its objects in etcd and serves them. A table, because
 * plurals are declared, not derived (`Endpoints` is `endpoints`).
 */
const PLURALS: Readonly<Record<string, string>> = {
  // networking.istio.io
  Gateway: 'gateways',
  VirtualService: 'virtualservices',
  DestinationRule: 'destinationrules',
  ServiceEntry: 'serviceentries',
  WorkloadEntry: 'workloadentries',
  // security.istio.io
  RequestAuthentication: 'requestauthentications',
  AuthorizationPolicy: 'authorizationpolicies',
  // gateway.networking.k8s.io (its Gateway shares the Istio Gateway's plural; the group tells them apart)
  GatewayClass: 'gatewayclasses',
  HTTPRoute: 'httproutes',
  GRPCRoute: 'grpcroutes',
  TLSRoute: 'tlsroutes',
  TCPRoute: 'tcproutes',
  ReferenceGrant: 'referencegrants',
  // core and discovery.k8s.io
  Secret: 'secrets',
  Service: 'services',
  Endpoints: 'endpoints',
  EndpointSlice: 'endpointslices',
  Namespace: 'namespaces',
}

/**
 * The plural resource name of a kind, as Kubernetes names it (`VirtualService` → `virtualservices`,
 * `Endpoints` → `endpoints`). A kind outside the table (none Portico reads) gets English's rule
 * (`-y` → `-ies`, `-s`/`-x`/`-z`/`-ch`/`-sh` → `-es`, else `-s`), which every kind in the table but
 * `Endpoints` also follows, so keys written before the table existed are where they were.
 */
export function pluralOf(kind: string): string {
  const known = PLURALS[kind]
  if (known !== undefined) return known
  const lower = kind.toLowerCase()
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`
  return `${lower}s`
}

/** The API group of an `apiVersion` (`networking.istio.io/v1` → `networking.istio.io`; `v1` → `''`, the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/')
  return slash < 0 ? '' : apiVersion.slice(0, slash)
}

/** What a resource carries that its key is made of. */
type Keyed = SnapshotResource & { readonly apiVersion?: string }

/**
 * The key of a resource, as Kubernetes lays out objects in etcd:
 * `<prefix>/<group>/<plural>/<namespace>/<name>` for kinds of an API group
 * (`/portico/networking.istio.io/virtualservices/default/httpbin`) and
 * `<prefix>/<plural>/<namespace>/<name>` for core kinds (`/portico/secrets/istio-system/x`).
 */
export function keyOf(prefix: string, resource: Keyed): string {
  const group = groupOf(resource.apiVersion ?? '')
  const plural = pluralOf(resource.kind)
  const ns = namespaceOf(resource)
  return group === ''
    ? `${prefix}/${plural}/${ns}/${resource.metadata.name}`
    : `${prefix}/${group}/${plural}/${ns}/${resource.metadata.name}`
}

/** The value stored under a resource's key: the resource as JSON, with its namespace filled in. */
export function encodeResource(resource: SnapshotResource): string {
  return JSON.stringify({ ...resource, metadata: { ...resource.metadata, namespace: namespaceOf(resource) } })
}

/** One key and value as read from the store. */
export interface StoreEntry {
  readonly key: string
  readonly value: string
  /** The revision of the key's last change. */
  readonly modRevision: number
  /** The revision that created the key (orders resources as Istio does: by creation). */
  readonly createRevision: number
}

/** The configuration a set of entries holds. */
export interface DecodedConfig {
  /** The resources, in creation order (as Istio orders them by creation time), then by key. */
  readonly resources: readonly Resource[]
  /** Each resource's entry, by key. */
  readonly byKey: ReadonlyMap<string, { readonly resource: Resource; readonly modRevision: number }>
  /** Warnings for ignored keys, errors for values that are not the resource their key names. */
  readonly diagnostics: readonly Diagnostic[]
}

/** True when a key has the shape of the key layout under `prefix` (group optional). */
export function inLayout(prefix: string, key: string): boolean {
  if (!key.startsWith(`${prefix}/`)) return false
  const parts = key.slice(prefix.length + 1).split('/')
  return (parts.length === 3 || parts.length === 4) && parts.every((p) => p !== '')
}

/** What one entry holds: its resource, or why it holds none. */
export interface DecodedEntry {
  readonly resource?: Resource
  readonly diagnostics: readonly Diagnostic[]
}

/**
 * Reads one entry: a key outside the layout is ignored with a warning (PTC4300); a value that is
 * not JSON of one resource, or whose kind, namespace or name is not its key's, is an error
 * (PTC4301) and yields no resource.
 */
export function decodeEntry(prefix: string, entry: StoreEntry): DecodedEntry {
  if (!inLayout(prefix, entry.key)) {
    return {
      diagnostics: [
        {
          severity: 'warning',
          code: PTC_KEY_IGNORED,
          message: `key ${entry.key} is not <prefix>/[<group>/]<plural>/<namespace>/<name>; ignored`,
        },
      ],
    }
  }
  const bad = (message: string, resource?: Resource): DecodedEntry => ({
    diagnostics: [
      {
        severity: 'error',
        code: PTC_BAD_VALUE,
        message,
        ...(resource === undefined
          ? {}
          : {
              resource: {
                kind: resource.kind,
                namespace: namespaceOf(resource),
                name: resource.metadata.name,
              },
            }),
      },
    ],
  })
  let json: unknown
  try {
    json = JSON.parse(entry.value)
  } catch (error) {
    return bad(
      `key ${entry.key} (revision ${entry.modRevision}) does not hold JSON: ${(error as Error).message}`,
    )
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    return bad(`key ${entry.key} (revision ${entry.modRevision}) does not hold one resource`)
  const parsed = parseResources(entry.value, entry.key)
  if (parsed.diagnostics.some((d) => d.severity === 'error')) return { diagnostics: parsed.diagnostics }
  const [resource, ...more] = parsed.resources
  if (resource === undefined) return { diagnostics: parsed.diagnostics }
  if (more.length > 0) return bad(`key ${entry.key} holds more than one resource`)
  const expected = keyOf(prefix, resource)
  if (expected !== entry.key)
    return bad(
      `key ${entry.key} holds ${resource.kind} ${namespaceOf(resource)}/${resource.metadata.name}, whose key is ${expected}`,
      resource,
    )
  return { resource, diagnostics: parsed.diagnostics }
}

/**
 * Reads entries under `prefix` into resources, in creation order ({@link decodeEntry} for each;
 * `decode` may return a cached answer for an entry already read).
 */
export function decodeEntries(
  prefix: string,
  entries: Iterable<StoreEntry>,
  decode: (entry: StoreEntry) => DecodedEntry = (entry) => decodeEntry(prefix, entry),
): DecodedConfig {
  const resources: Resource[] = []
  const byKey = new Map<string, { resource: Resource; modRevision: number }>()
  const diagnostics: Diagnostic[] = []
  const ordered = [...entries].sort(
    (a, b) => a.createRevision - b.createRevision || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  )
  for (const entry of ordered) {
    const decoded = decode(entry)
    diagnostics.push(...decoded.diagnostics)
    if (decoded.resource === undefined) continue
    resources.push(decoded.resource)
    byKey.set(entry.key, { resource: decoded.resource, modRevision: entry.modRevision })
  }
  return { resources, byKey, diagnostics }
}
