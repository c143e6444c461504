import type { ResourceRef, SourceLocation } from '../diagnostics/diagnostic.js'
import { sourceOf } from '../load/source.js'
import { parseDuration } from '../model/duration.js'
import { hostMatches } from '../model/hosts.js'
import { namespaceOf, type Snapshot, type SnapshotResource } from '../model/snapshot.js'
import type {
  BackendObjectReference,
  EndpointSliceResource,
  EndpointsResource,
  GRPCRouteSpec,
  HTTPHeaderFilter,
  HTTPRouteFilter,
  HTTPRouteMatch,
  HTTPRouteSpec,
  K8sGatewaySpec,
  L4RouteRule,
  LabelSelector,
  Listener,
  ParentReference,
  ReferenceGrantSpec,
  ServiceResource,
  TCPRouteSpec,
  TLSRouteSpec,
} from '../resources/index.js'
import {
  endpointSliceSchema,
  endpointsSchema,
  grpcRouteSpecSchema,
  httpRouteSpecSchema,
  K8S_GATEWAY_KIND,
  k8sGatewaySpecSchema,
  namespaceSchema,
  referenceGrantSpecSchema,
  serviceSchema,
  tcpRouteSpecSchema,
  tlsRouteSpecSchema,
} from '../resources/index.js'
import type {
  HTTPMatchRequest,
  HTTPRoute,
  RouteDestination,
  StringMatch,
  TCPRoute,
  TLSRoute,
} from '../resources/virtual-service.js'
import type { RegistryService } from './clusters.js'
import type {
  GatewayApiStatus,
  RouteParentStatus,
  RouteStatus,
  StatusCondition,
} from './gateway-api-status.js'

export type {
  GatewayApiStatus,
  GatewayStatus,
  ListenerStatus,
  RouteParentStatus,
  RouteStatus,
  StatusCondition,
} from './gateway-api-status.js'

/** The Gateway API group. */
const GROUP = 'gateway.networking.k8s.io'
/** The controller name Istio writes in route status. */
export const GATEWAY_API_CONTROLLER = 'istio.io/gateway-controller'
/** The GatewayClass a process serves unless told otherwise (Istio's built-in class). */
export const DEFAULT_GATEWAY_CLASS = 'istio'

/** Where a translated rule came from (a rule, and match, of an HTTPRoute, GRPCRoute, TLSRoute or TCPRoute). */
export interface GatewayApiOrigin {
  readonly route: ResourceRef
  readonly ruleIndex: number
  /** The route's match index for each `match` entry of the translated rule. */
  readonly matchIndexes: readonly (number | undefined)[]
  readonly name?: string
  readonly source?: SourceLocation
}

/** Marks a translated destination whose backendRef does not resolve (answered 500). */
export const INVALID_BACKEND: unique symbol = Symbol('invalid-backend')

/**
 * The scheme of the credentialName a translated Gateway carries (as Istio writes it): the
 * Secret's namespace and name, so a certificateRef that a ReferenceGrant allows into another
 * namespace is found there.
 */
export const KUBERNETES_GATEWAY_CREDENTIAL = 'kubernetes-gateway://'

/** Synthetic Istio resources marked with their Gateway API origin. */
export const GATEWAY_API_ORIGIN: unique symbol = Symbol('gateway-api-origin')

/** An Istio VirtualService HTTP rule made from a Gateway API rule. */
export type TranslatedRule = HTTPRoute & { [GATEWAY_API_ORIGIN]?: GatewayApiOrigin }

/** An Istio VirtualService `tls` or `tcp` rule made from a TLSRoute or TCPRoute rule. */
export type TranslatedL4Rule = (TLSRoute | TCPRoute) & { [GATEWAY_API_ORIGIN]?: GatewayApiOrigin }

/** The Gateway API route kinds. */
type RouteKind = 'HTTPRoute' | 'GRPCRoute' | 'TLSRoute' | 'TCPRoute'

/** The route kinds a listener protocol takes (TLS: Passthrough; Terminate is not supported). */
const PROTOCOL_KINDS: Readonly<Record<string, readonly RouteKind[]>> = {
  HTTP: ['HTTPRoute', 'GRPCRoute'],
  HTTPS: ['HTTPRoute', 'GRPCRoute'],
  TLS: ['TLSRoute'],
  TCP: ['TCPRoute'],
}

/** What the Gateway API kinds translate into: Istio resources compile() already understands. */
export interface GatewayApiTranslation {
  /** One Istio Gateway per listener of each served Gateway (named `<gateway>/<listener>`). */
  readonly gateways: readonly SnapshotResource[]
  /** One VirtualService per listener and hostname, rules in the spec's precedence order. */
  readonly virtualServices: readonly SnapshotResource[]
  /** `name.ns.svc.cluster.local` of every Service, with its ready endpoints. */
  readonly services: ReadonlyMap<string, RegistryService>
  readonly status: GatewayApiStatus
}

/** Options of {@link translateGatewayApi}. */
export interface GatewayApiOptions {
  /** The GatewayClass whose Gateways this process serves (default `istio`). */
  readonly gatewayClassName?: string
  /** Whether a backend host is known (ServiceEntry or registry) besides the Services. */
  readonly hostKnown?: (host: string) => boolean
}

type Res = SnapshotResource & { readonly spec?: unknown; readonly [key: string]: unknown }

interface NormalizedRule {
  readonly index: number
  readonly name?: string
  readonly matches: readonly (HTTPRouteMatch | undefined)[]
  readonly filters: readonly HTTPRouteFilter[]
  readonly backendRefs: readonly (BackendObjectReference & {
    weight?: number | undefined
    filters?: readonly HTTPRouteFilter[] | undefined
  })[]
  readonly timeouts?: { request?: string | undefined; backendRequest?: string | undefined }
  readonly retry?: {
    codes?: number[] | undefined
    attempts?: number | undefined
    backoff?: string | undefined
  }
}

interface NormalizedRoute {
  readonly resource: Res
  readonly ref: ResourceRef
  readonly kind: RouteKind
  readonly hostnames: readonly string[]
  readonly parentRefs: readonly ParentReference[]
  readonly rules: readonly NormalizedRule[]
  readonly created: string | undefined
}

interface ServedListener {
  readonly gateway: Res
  readonly gatewayRef: ResourceRef
  readonly listener: Listener
  readonly index: number
  readonly synthName: string
  /** Listener problems (unsupported protocol, bad certificate): the listener serves nothing. */
  readonly problems: StatusCondition[]
  readonly conflicted?: StatusCondition
  /** The route kinds this listener takes (its protocol's, narrowed by `allowedRoutes.kinds`). */
  readonly kinds: readonly RouteKind[]
  attached: number
  /** A GRPCRoute is attached: the port takes HTTP/2 with prior knowledge (h2c), as the spec requires. */
  grpc?: boolean
  credential?: string
  /** The TLSRoutes or TCPRoutes attached, in the spec's order, with the SNI names each serves here. */
  readonly l4: { readonly route: NormalizedRoute; readonly hosts: readonly string[] }[]
}

const cond = (type: string, ok: boolean, reason: string, message = ''): StatusCondition => ({
  type,
  status: ok ? 'True' : 'False',
  reason,
  message,
})

const refKey = (r: { namespace: string; name: string }) => `${r.namespace}/${r.name}`

/** `name.namespace.svc.cluster.local`. */
export function serviceHost(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.cluster.local`
}

const SPEC_CHECKS: Readonly<Record<string, { safeParse(v: unknown): { success: boolean } }>> = {
  [K8S_GATEWAY_KIND]: k8sGatewaySpecSchema,
  HTTPRoute: httpRouteSpecSchema,
  GRPCRoute: grpcRouteSpecSchema,
  TLSRoute: tlsRouteSpecSchema,
  TCPRoute: tcpRouteSpecSchema,
  ReferenceGrant: referenceGrantSpecSchema,
}
const WHOLE_CHECKS: Readonly<Record<string, { safeParse(v: unknown): { success: boolean } }>> = {
  Service: serviceSchema,
  EndpointSlice: endpointSliceSchema,
  Endpoints: endpointsSchema,
  Namespace: namespaceSchema,
}
const shapeChecked = new WeakMap<object, boolean>()

/**
 * The resources of one kind whose shape the translation can trust: loaded ones passed the schema
 * already; one built in code is checked once (a malformed one is left out, never thrown on).
 */
function listChecked<T>(snapshot: Snapshot<SnapshotResource>, kind: string): readonly T[] {
  return snapshot.list(kind).filter((r) => {
    if (sourceOf(r as Parameters<typeof sourceOf>[0]) !== undefined) return true
    const known = shapeChecked.get(r)
    if (known !== undefined) return known
    const spec = SPEC_CHECKS[kind]
    const whole = WHOLE_CHECKS[kind]
    const ok =
      spec !== undefined
        ? spec.safeParse((r as Res).spec).success
        : whole !== undefined
          ? whole.safeParse(r).success
          : true
    shapeChecked.set(r, ok)
    return ok
  }) as unknown as readonly T[]
}

/**
 * Kubernetes Services with their EndpointSlices (or Endpoints) as registry services: the host
 * `name.ns.svc.cluster.local`, the Service ports, and the ready endpoint addresses with the port
 * each endpoint serves a Service port on (EndpointSlice/Endpoints ports carry the Service port's
 * name; a numeric `targetPort` is the fallback).
 */
export function kubernetesServices(snapshot: Snapshot<SnapshotResource>): Map<string, RegistryService> {
  const out = new Map<string, RegistryService>()
  const slices = listChecked<EndpointSliceResource>(snapshot, 'EndpointSlice')
  const endpoints = listChecked<EndpointsResource>(snapshot, 'Endpoints')
  for (const svc of listChecked<ServiceResource>(snapshot, 'Service')) {
    const ns = namespaceOf(svc)
    const name = svc.metadata.name
    const ports = (svc.spec?.ports ?? []).map((p) => {
      const app = (p.appProtocol ?? '').toLowerCase()
      const protocol =
        app === 'kubernetes.io/h2c' || app === 'http2' || p.name?.startsWith('http2') === true
          ? 'HTTP2'
          : app === 'grpc' || p.name?.startsWith('grpc') === true
            ? 'GRPC'
            : 'HTTP'
      return {
        number: p.port,
        name: p.name ?? '',
        protocol,
        ...(typeof p.targetPort === 'number' ? { targetPort: p.targetPort } : {}),
      }
    })
    const eps: { address: string; ports: Record<string, number> }[] = []
    for (const slice of slices) {
      if (namespaceOf(slice) !== ns || slice.metadata.labels?.['kubernetes.io/service-name'] !== name)
        continue
      const byName: Record<string, number> = {}
      for (const p of slice.ports ?? []) if (p.port !== undefined) byName[p.name ?? ''] = p.port
      for (const e of slice.endpoints ?? []) {
        if (e.conditions?.ready === false) continue
        for (const address of e.addresses) eps.push({ address, ports: byName })
      }
    }
    if (eps.length === 0) {
      for (const ep of endpoints) {
        if (namespaceOf(ep) !== ns || ep.metadata.name !== name) continue
        for (const subset of ep.subsets ?? []) {
          const byName: Record<string, number> = {}
          for (const p of subset.ports ?? []) byName[p.name ?? ''] = p.port
          for (const a of subset.addresses ?? []) eps.push({ address: a.ip, ports: byName })
        }
      }
    }
    out.set(serviceHost(name, ns), {
      ports: ports.map((p) => ({
        number: p.number,
        name: p.name,
        protocol: p.protocol,
        ...(p.targetPort === undefined ? {} : { targetPort: p.targetPort }),
      })),
      endpoints: eps,
    })
  }
  return out
}

function selectorMatches(
  selector: LabelSelector | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (selector === undefined) return true
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key)
    const value = labels[e.key]
    const values = e.values ?? []
    if (e.operator === 'In' && !(has && values.includes(value as string))) return false
    if (e.operator === 'NotIn' && has && values.includes(value as string)) return false
    if (e.operator === 'Exists' && !has) return false
    if (e.operator === 'DoesNotExist' && has) return false
  }
  return true
}

/**
 * The hostnames a route serves on a listener (Gateway API hostname intersection): a listener
 * without hostname takes the route's; a route without hostnames takes the listener's; otherwise
 * each route hostname that equals the listener's, is covered by the listener's wildcard, or
 * covers the listener's hostname with its own wildcard (then the listener's is used).
 */
export function intersectHostnames(listener: string | undefined, route: readonly string[]): string[] {
  if (listener === undefined || listener === '') return route.length === 0 ? ['*'] : [...new Set(route)]
  if (route.length === 0) return [listener]
  const out = new Set<string>()
  for (const h of route) {
    if (h === listener) out.add(h)
    else if (listener.startsWith('*.') && hostMatches(listener, h)) out.add(h)
    else if (h.startsWith('*.') && hostMatches(h, listener)) out.add(listener)
  }
  return [...out]
}

function normalizeHttp(spec: HTTPRouteSpec): NormalizedRule[] {
  return (spec.rules ?? []).map((r, index) => ({
    index,
    ...(r.name === undefined ? {} : { name: r.name }),
    matches: r.matches === undefined || r.matches.length === 0 ? [undefined] : r.matches,
    filters: r.filters ?? [],
    backendRefs: r.backendRefs ?? [],
    ...(r.timeouts === undefined ? {} : { timeouts: r.timeouts }),
    ...(r.retry === undefined ? {} : { retry: r.retry }),
  }))
}

function grpcPath(
  m: NonNullable<NonNullable<NonNullable<GRPCRouteSpec['rules']>[number]['matches']>[number]['method']>,
): HTTPRouteMatch['path'] {
  const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  if (m.type === 'RegularExpression') {
    return { type: 'RegularExpression', value: `/${m.service ?? '[^/]+'}/${m.method ?? '[^/]+'}` }
  }
  if (m.service !== undefined && m.method !== undefined)
    return { type: 'Exact', value: `/${m.service}/${m.method}` }
  if (m.service !== undefined) return { type: 'PathPrefix', value: `/${m.service}` }
  return { type: 'RegularExpression', value: `/[^/]+/${escapeRegex(m.method ?? '')}` }
}

function normalizeGrpc(spec: GRPCRouteSpec): NormalizedRule[] {
  return (spec.rules ?? []).map((r, index) => ({
    index,
    ...(r.name === undefined ? {} : { name: r.name }),
    matches:
      r.matches === undefined || r.matches.length === 0
        ? [undefined]
        : r.matches.map((m) => {
            const path = m.method === undefined ? undefined : grpcPath(m.method)
            return {
              ...(path === undefined ? {} : { path }),
              ...(m.headers === undefined ? {} : { headers: m.headers }),
            }
          }),
    filters: (r.filters ?? []) as HTTPRouteFilter[],
    backendRefs: (r.backendRefs ?? []) as NormalizedRule['backendRefs'],
  }))
}

function normalizeL4(rules: readonly L4RouteRule[]): NormalizedRule[] {
  return rules.map((r, index) => ({
    index,
    ...(r.name === undefined ? {} : { name: r.name }),
    matches: [],
    filters: [],
    backendRefs: r.backendRefs,
  }))
}

/** Istio's ranking of a path match: Exact > PathPrefix > RegularExpression > none. */
function pathRank(m: HTTPRouteMatch | undefined): [number, number] {
  if (m === undefined) return [0, 0]
  const type = m.path?.type ?? 'PathPrefix'
  const value = trimPrefix(m.path?.value ?? '/')
  const rank = type === 'Exact' ? 3 : type === 'PathPrefix' ? 2 : 1
  return [rank, value.length]
}

function trimPrefix(value: string): string {
  return value !== '/' && value.endsWith('/') ? value.replace(/\/+$/, '') || '/' : value
}

/**
 * The spec's precedence between two match entries (Istio's order): a rule without matches last;
 * then Exact > PathPrefix > RegularExpression, longer path first; a method match first; more
 * header matches first; more query matches first. Ties keep the given order (routes oldest
 * first, then by namespace/name; rules and matches in order).
 */
export function compareMatches(a: HTTPRouteMatch | undefined, b: HTTPRouteMatch | undefined): number {
  if (a === undefined) return b === undefined ? 0 : 1
  if (b === undefined) return -1
  const [ra, la] = pathRank(a)
  const [rb, lb] = pathRank(b)
  if (ra !== rb) return rb - ra
  if (la !== lb) return lb - la
  if ((a.method === undefined) !== (b.method === undefined)) return a.method === undefined ? 1 : -1
  const ha = a.headers?.length ?? 0
  const hb = b.headers?.length ?? 0
  if (ha !== hb) return hb - ha
  return (b.queryParams?.length ?? 0) - (a.queryParams?.length ?? 0)
}

function keyedMatches(
  list: readonly { type?: string | undefined; name: string; value: string }[] | undefined,
  lower: boolean,
): Record<string, StringMatch> | undefined {
  if (list === undefined || list.length === 0) return undefined
  const out: Record<string, StringMatch> = {}
  for (const m of list) {
    const name = lower ? m.name.toLowerCase() : m.name
    if (Object.hasOwn(out, name)) continue
    out[name] = m.type === 'RegularExpression' ? { regex: m.value } : { exact: m.value }
  }
  return out
}

/** How a translated match relates to a segment-wise PathPrefix (for prefix replacements). */
type PrefixMode = 'exact' | 'prefix' | 'other'

/**
 * Istio match entries for one Gateway API match: a segment-wise `PathPrefix /foo` becomes two
 * entries, `exact /foo` and `prefix /foo/`, so that `/foobar` does not match.
 */
function istioMatches(
  m: HTTPRouteMatch | undefined,
): { match: HTTPMatchRequest; mode: PrefixMode }[] | undefined {
  if (m === undefined) return undefined
  const headers = keyedMatches(m.headers, true)
  const queryParams = keyedMatches(m.queryParams, false)
  const rest: HTTPMatchRequest = {
    ...(headers === undefined ? {} : { headers }),
    ...(queryParams === undefined ? {} : { queryParams }),
    ...(m.method === undefined ? {} : { method: { exact: m.method } }),
  }
  const type = m.path?.type ?? 'PathPrefix'
  const value = m.path?.value ?? '/'
  if (type === 'Exact') return [{ match: { uri: { exact: value }, ...rest }, mode: 'other' }]
  if (type === 'RegularExpression') return [{ match: { uri: { regex: value }, ...rest }, mode: 'other' }]
  const prefix = trimPrefix(value)
  if (prefix === '/') return [{ match: { uri: { prefix: '/' }, ...rest }, mode: 'prefix' }]
  return [
    { match: { uri: { exact: prefix }, ...rest }, mode: 'exact' },
    { match: { uri: { prefix: `${prefix}/` }, ...rest }, mode: 'prefix' },
  ]
}

function headerOperations(f: HTTPHeaderFilter | undefined) {
  if (f === undefined) return undefined
  const map = (list: readonly { name: string; value: string }[] | undefined) => {
    if (list === undefined || list.length === 0) return undefined
    const out: Record<string, string> = {}
    for (const h of list) out[h.name.toLowerCase()] = h.value
    return out
  }
  const set = map(f.set)
  const add = map(f.add)
  return {
    ...(set === undefined ? {} : { set }),
    ...(add === undefined ? {} : { add }),
    ...(f.remove === undefined || f.remove.length === 0
      ? {}
      : { remove: f.remove.map((h) => h.toLowerCase()) }),
  }
}

function headersOf(filters: readonly HTTPRouteFilter[]) {
  const request = headerOperations(
    filters.find((f) => f.type === 'RequestHeaderModifier')?.requestHeaderModifier,
  )
  const response = headerOperations(
    filters.find((f) => f.type === 'ResponseHeaderModifier')?.responseHeaderModifier,
  )
  if (request === undefined && response === undefined) return undefined
  return { ...(request === undefined ? {} : { request }), ...(response === undefined ? {} : { response }) }
}

const corsOrigin = (o: string): StringMatch => {
  if (o === '*') return { exact: '*' }
  if (!o.includes('*')) return { exact: o }
  return { regex: o.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*') }
}

interface BackendVerdict {
  readonly ok: boolean
  readonly reason?: 'RefNotPermitted' | 'BackendNotFound' | 'InvalidKind' | 'UnsupportedValue'
  readonly message?: string
}

/**
 * Translates the Gateway API kinds of a snapshot into Istio Gateways and VirtualServices (as
 * Istio's gateway controller does), the Kubernetes Services into registry services, and computes
 * the status conditions a controller would write. Pure; never throws on schema-valid input.
 */
export function translateGatewayApi(
  snapshot: Snapshot<SnapshotResource>,
  options: GatewayApiOptions = {},
): GatewayApiTranslation {
  const className = options.gatewayClassName ?? DEFAULT_GATEWAY_CLASS
  const services = kubernetesServices(snapshot)
  const namespaceLabels = new Map<string, Readonly<Record<string, string>>>()
  for (const ns of listChecked<Res>(snapshot, 'Namespace')) {
    namespaceLabels.set(
      ns.metadata.name,
      (ns as Res & { metadata: { labels?: Record<string, string> } }).metadata.labels ?? {},
    )
  }
  const labelsOf = (ns: string) => ({ ...namespaceLabels.get(ns), 'kubernetes.io/metadata.name': ns })
  const grants = listChecked<Res>(snapshot, 'ReferenceGrant').map((g) => ({
    namespace: namespaceOf(g),
    spec: g.spec as ReferenceGrantSpec,
  }))
  const granted = (
    fromKind: string,
    fromNs: string,
    toKind: string,
    toNs: string,
    toName: string,
    toGroup = '',
  ) =>
    grants.some(
      (g) =>
        g.namespace === toNs &&
        g.spec.from.some((f) => f.group === GROUP && f.kind === fromKind && f.namespace === fromNs) &&
        g.spec.to.some(
          (t) => t.group === toGroup && t.kind === toKind && (t.name === undefined || t.name === toName),
        ),
    )
  const secrets = snapshot.list('Secret') as readonly (Res & { type?: string })[]

  // 1. The Gateways of our class and their listeners.
  const served: ServedListener[] = []
  const gatewayStatus: { ref: ResourceRef; spec: K8sGatewaySpec; listeners: ServedListener[] }[] = []
  const portKinds = new Map<number, { kind: string; hostnames: Set<string> }>()
  for (const gw of listChecked<Res>(snapshot, K8S_GATEWAY_KIND)) {
    const spec = gw.spec as K8sGatewaySpec
    if (spec.gatewayClassName !== className) continue
    const ref: ResourceRef = { kind: K8S_GATEWAY_KIND, namespace: namespaceOf(gw), name: gw.metadata.name }
    const listeners: ServedListener[] = []
    spec.listeners.forEach((listener, index) => {
      const problems: StatusCondition[] = []
      const protocol = listener.protocol
      let credential: string | undefined
      let conflicted: StatusCondition | undefined
      if (PROTOCOL_KINDS[protocol] === undefined) {
        problems.push(
          cond(
            'Accepted',
            false,
            'UnsupportedProtocol',
            `protocol ${protocol} is not supported by Portico's Gateway API translation`,
          ),
        )
      } else if (protocol === 'TLS' && (listener.tls?.mode ?? 'Terminate') !== 'Passthrough') {
        problems.push(
          cond(
            'Accepted',
            false,
            'UnsupportedValue',
            'tls.mode Terminate on a TLS listener (TLSRoute termination) is not supported; use Passthrough',
          ),
        )
      }
      if (protocol === 'HTTPS') {
        const certRef = listener.tls?.certificateRefs?.[0]
        if (certRef === undefined) {
          problems.push(cond('ResolvedRefs', false, 'InvalidCertificateRef', 'no certificateRefs'))
        } else {
          const certNs = certRef.namespace ?? ref.namespace
          const kindOk = (certRef.group ?? '') === '' && (certRef.kind ?? 'Secret') === 'Secret'
          const secret = secrets.find((s) => s.metadata.name === certRef.name && namespaceOf(s) === certNs)
          if (!kindOk)
            problems.push(
              cond(
                'ResolvedRefs',
                false,
                'InvalidCertificateRef',
                `unsupported certificate kind ${certRef.kind}`,
              ),
            )
          else if (
            certNs !== ref.namespace &&
            !granted('Gateway', ref.namespace, 'Secret', certNs, certRef.name)
          ) {
            problems.push(
              cond(
                'ResolvedRefs',
                false,
                'RefNotPermitted',
                `Secret ${certNs}/${certRef.name} is in another namespace and no ReferenceGrant allows it`,
              ),
            )
          } else if (secret === undefined) {
            problems.push(
              cond(
                'ResolvedRefs',
                false,
                'InvalidCertificateRef',
                `Secret ${certNs}/${certRef.name} not found`,
              ),
            )
          } else credential = `${KUBERNETES_GATEWAY_CREDENTIAL}${certNs}/${certRef.name}`
        }
      }
      if (problems.length === 0) {
        const kind = protocol === 'HTTP' ? 'HTTP' : protocol === 'TCP' ? 'TCP' : 'TLS'
        const seen = portKinds.get(listener.port)
        const host = listener.hostname ?? '*'
        if (seen !== undefined && seen.kind !== kind) {
          conflicted = cond(
            'Conflicted',
            true,
            'ProtocolConflict',
            `port ${listener.port} already serves ${seen.kind}`,
          )
        } else if (seen !== undefined && kind !== 'HTTP' && seen.hostnames.has(host)) {
          conflicted = cond(
            'Conflicted',
            true,
            'HostnameConflict',
            `hostname ${host} is already served on port ${listener.port}`,
          )
        } else {
          const entry = seen ?? { kind, hostnames: new Set<string>() }
          entry.hostnames.add(host)
          portKinds.set(listener.port, entry)
        }
      }
      const protocolKinds = problems.some((p) => p.type === 'Accepted')
        ? []
        : (PROTOCOL_KINDS[protocol] ?? [])
      const allowedKinds = listener.allowedRoutes?.kinds
      const s: ServedListener = {
        gateway: gw,
        gatewayRef: ref,
        listener,
        index,
        synthName: `${gw.metadata.name}/${listener.name}`,
        problems,
        ...(conflicted === undefined ? {} : { conflicted }),
        kinds:
          allowedKinds === undefined || allowedKinds.length === 0
            ? protocolKinds
            : protocolKinds.filter((k) =>
                allowedKinds.some((a) => (a.group ?? GROUP) === GROUP && a.kind === k),
              ),
        attached: 0,
        ...(credential === undefined ? {} : { credential }),
        l4: [],
      }
      listeners.push(s)
      if (problems.length === 0 && conflicted === undefined) served.push(s)
    })
    gatewayStatus.push({ ref, spec, listeners })
  }
  const gatewaysByKey = new Map(gatewayStatus.map((g) => [refKey(g.ref), g]))

  // 2. Routes, oldest first, then by namespace/name (the spec's tie-breakers).
  const routes: NormalizedRoute[] = []
  for (const kind of ['HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute'] as const) {
    for (const r of listChecked<Res>(snapshot, kind)) {
      const spec = r.spec as HTTPRouteSpec | GRPCRouteSpec | TLSRouteSpec | TCPRouteSpec
      routes.push({
        resource: r,
        ref: { kind, namespace: namespaceOf(r), name: r.metadata.name },
        kind,
        hostnames: 'hostnames' in spec ? (spec.hostnames ?? []) : [],
        parentRefs: spec.parentRefs ?? [],
        rules:
          kind === 'HTTPRoute'
            ? normalizeHttp(spec as HTTPRouteSpec)
            : kind === 'GRPCRoute'
              ? normalizeGrpc(spec as GRPCRouteSpec)
              : normalizeL4((spec as TLSRouteSpec | TCPRouteSpec).rules),
        created: (r.metadata as { creationTimestamp?: string | null }).creationTimestamp ?? undefined,
      })
    }
  }
  routes.sort((a, b) => {
    if (a.created !== undefined && b.created !== undefined && a.created !== b.created)
      return a.created < b.created ? -1 : 1
    const ka = refKey(a.ref)
    const kb = refKey(b.ref)
    return ka < kb ? -1 : ka > kb ? 1 : 0
  })

  const hostKnown = (host: string) => services.has(host) || options.hostKnown?.(host) === true
  const backendVerdict = (route: NormalizedRoute, b: BackendObjectReference): BackendVerdict => {
    const group = b.group ?? ''
    const kind = b.kind ?? 'Service'
    if (group !== '' || kind !== 'Service') {
      return {
        ok: false,
        reason: 'InvalidKind',
        message: `backend kind ${group === '' ? '' : `${group}/`}${kind} is not supported`,
      }
    }
    const ns = b.namespace ?? route.ref.namespace
    if (ns !== route.ref.namespace && !granted(route.kind, route.ref.namespace, 'Service', ns, b.name)) {
      return {
        ok: false,
        reason: 'RefNotPermitted',
        message: `backendRef to Service ${ns}/${b.name} is not permitted by any ReferenceGrant`,
      }
    }
    if (b.port === undefined)
      return {
        ok: false,
        reason: 'UnsupportedValue',
        message: `backendRef to Service ${ns}/${b.name} has no port`,
      }
    if (!hostKnown(serviceHost(b.name, ns))) {
      return { ok: false, reason: 'BackendNotFound', message: `Service ${ns}/${b.name} not found` }
    }
    return { ok: true }
  }

  // 3. Attachment: which listeners each route's parentRefs select.
  const perHost = new Map<
    string,
    {
      listener: ServedListener
      host: string
      entries: {
        route: NormalizedRoute
        rule: NormalizedRule
        matchIndex: number | undefined
        match: HTTPRouteMatch | undefined
      }[]
    }
  >()
  const routeStatus: RouteStatus[] = []
  for (const route of routes) {
    const parents: RouteParentStatus[] = []
    const refProblems: BackendVerdict[] = []
    for (const rule of route.rules) {
      for (const b of rule.backendRefs) {
        const v = backendVerdict(route, b)
        if (!v.ok) refProblems.push(v)
      }
      for (const f of rule.filters) {
        if (f.type === 'RequestMirror' && f.requestMirror !== undefined) {
          const v = backendVerdict(route, f.requestMirror.backendRef)
          if (!v.ok) refProblems.push(v)
        }
      }
    }
    const resolved =
      refProblems.length === 0
        ? cond('ResolvedRefs', true, 'ResolvedRefs', 'all references resolved')
        : cond('ResolvedRefs', false, refProblems[0]!.reason!, refProblems.map((p) => p.message).join('; '))
    for (const p of route.parentRefs) {
      const group = p.group ?? GROUP
      const kind = p.kind ?? 'Gateway'
      const parentRef = {
        namespace: p.namespace ?? route.ref.namespace,
        name: p.name,
        ...(p.sectionName === undefined ? {} : { sectionName: p.sectionName }),
        ...(p.port === undefined ? {} : { port: p.port }),
      }
      if (group !== GROUP || kind !== 'Gateway') continue
      const gw = gatewaysByKey.get(refKey(parentRef))
      if (gw === undefined) {
        // Another class's Gateway (or none): another controller's business, unless none exists.
        if (snapshot.get(K8S_GATEWAY_KIND, parentRef.namespace, parentRef.name) === undefined) {
          parents.push({
            parentRef,
            controllerName: GATEWAY_API_CONTROLLER,
            conditions: [
              cond('Accepted', false, 'NoMatchingParent', `Gateway ${refKey(parentRef)} not found`),
              resolved,
            ],
          })
        }
        continue
      }
      const candidates = gw.listeners.filter(
        (l) =>
          (p.sectionName === undefined || l.listener.name === p.sectionName) &&
          (p.port === undefined || l.listener.port === p.port),
      )
      let reason = candidates.length === 0 ? 'NoMatchingParent' : 'NotAllowedByListeners'
      let accepted = 0
      for (const l of candidates) {
        const allowed = l.listener.allowedRoutes
        const from = allowed?.namespaces?.from ?? 'Same'
        const nsOk =
          from === 'All' ||
          (from === 'Same' && route.ref.namespace === gw.ref.namespace) ||
          (from === 'Selector' &&
            selectorMatches(allowed?.namespaces?.selector, labelsOf(route.ref.namespace)))
        if (!nsOk || !l.kinds.includes(route.kind)) continue
        const hosts = intersectHostnames(l.listener.hostname, route.hostnames)
        if (hosts.length === 0) {
          if (reason === 'NotAllowedByListeners') reason = 'NoMatchingListenerHostname'
          continue
        }
        accepted++
        l.attached++
        if (route.kind === 'GRPCRoute') l.grpc = true
        if (!served.includes(l)) continue
        if (route.kind === 'TLSRoute' || route.kind === 'TCPRoute') {
          if (!l.l4.some((e) => e.route === route)) l.l4.push({ route, hosts })
          continue
        }
        for (const host of hosts) {
          const key = `${refKey(l.gatewayRef)}|${l.listener.name}|${host}`
          let bucket = perHost.get(key)
          if (bucket === undefined) {
            bucket = { listener: l, host, entries: [] }
            perHost.set(key, bucket)
          }
          for (const rule of route.rules) {
            rule.matches.forEach((match, matchIndex) => {
              bucket!.entries.push({
                route,
                rule,
                match,
                matchIndex: match === undefined ? undefined : matchIndex,
              })
            })
          }
        }
      }
      const acceptedCond =
        accepted > 0
          ? cond('Accepted', true, 'Accepted', 'route accepted')
          : cond(
              'Accepted',
              false,
              reason,
              reason === 'NoMatchingParent'
                ? `no listener of Gateway ${refKey(parentRef)} matches sectionName/port`
                : reason === 'NoMatchingListenerHostname'
                  ? 'no hostname of the route intersects a listener hostname'
                  : 'no listener allows this route (namespace or kind)',
            )
      parents.push({
        parentRef,
        controllerName: GATEWAY_API_CONTROLLER,
        conditions: [acceptedCond, resolved],
      })
    }
    routeStatus.push({ route: route.ref, parents })
  }

  // 4. Istio Gateways per served listener; VirtualServices per listener and hostname.
  const gateways: SnapshotResource[] = []
  for (const l of served) {
    const protocol = l.listener.protocol
    gateways.push({
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name: l.synthName, namespace: l.gatewayRef.namespace },
      spec: {
        servers: [
          {
            port: {
              number: l.listener.port,
              name: l.listener.name,
              protocol: protocol === 'HTTP' && l.grpc === true ? 'HTTP2' : protocol,
            },
            hosts: [`*/${l.listener.hostname ?? '*'}`],
            ...(protocol === 'HTTPS' ? { tls: { mode: 'SIMPLE', credentialName: l.credential } } : {}),
            ...(protocol === 'TLS' ? { tls: { mode: 'PASSTHROUGH' } } : {}),
          },
        ],
      },
      [GATEWAY_API_ORIGIN]: l.gatewayRef,
    } as SnapshotResource)
  }
  const virtualServices: SnapshotResource[] = []
  for (const bucket of perHost.values()) {
    const sorted = bucket.entries
      .map((e, order) => ({ e, order }))
      .sort((a, b) => compareMatches(a.e.match, b.e.match) || a.order - b.order)
    const http: TranslatedRule[] = []
    for (const { e } of sorted) {
      const source = sourceOf(e.route.resource)?.locate(
        e.matchIndex === undefined
          ? ['spec', 'rules', e.rule.index]
          : ['spec', 'rules', e.rule.index, 'matches', e.matchIndex],
      )
      const origin: GatewayApiOrigin = {
        route: e.route.ref,
        ruleIndex: e.rule.index,
        matchIndexes: e.matchIndex === undefined ? [] : [e.matchIndex],
        ...(e.rule.name === undefined ? {} : { name: e.rule.name }),
        ...(source === undefined ? {} : { source }),
      }
      const port = bucket.listener.listener.port
      const matches = istioMatches(e.match)
      if (matches === undefined) {
        http.push({
          ...translateRule(e.route, e.rule, port, 'prefix', backendVerdict),
          [GATEWAY_API_ORIGIN]: origin,
        })
        continue
      }
      for (const { match, mode } of matches) {
        http.push({
          match: [match],
          ...translateRule(e.route, e.rule, port, mode, backendVerdict),
          [GATEWAY_API_ORIGIN]: origin,
        })
      }
    }
    virtualServices.push({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: {
        name: `${bucket.listener.synthName}/${bucket.host}`,
        namespace: bucket.listener.gatewayRef.namespace,
      },
      spec: {
        hosts: [bucket.host],
        gateways: [`${bucket.listener.gatewayRef.namespace}/${bucket.listener.synthName}`],
        http,
      },
    } as SnapshotResource)
  }

  // TLSRoutes and TCPRoutes: one VirtualService per listener and route, with `tls` rules matching
  // the intersected SNI names or `tcp` rules (as Istio's controller writes them).
  for (const l of served) {
    for (const { route, hosts } of l.l4) {
      const tls = route.kind === 'TLSRoute'
      const rules = route.rules.map((rule): TranslatedL4Rule => {
        const source = sourceOf(route.resource)?.locate(['spec', 'rules', rule.index])
        const origin: GatewayApiOrigin = {
          route: route.ref,
          ruleIndex: rule.index,
          matchIndexes: [],
          ...(rule.name === undefined ? {} : { name: rule.name }),
          ...(source === undefined ? {} : { source }),
        }
        const destinations = l4Destinations(route, rule, backendVerdict)
        return tls
          ? { match: [{ sniHosts: [...hosts] }], route: destinations, [GATEWAY_API_ORIGIN]: origin }
          : { route: destinations, [GATEWAY_API_ORIGIN]: origin }
      })
      virtualServices.push({
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: {
          name: `${l.synthName}/${route.ref.kind}/${route.ref.namespace}/${route.ref.name}`,
          namespace: l.gatewayRef.namespace,
        },
        spec: {
          hosts: [...hosts],
          gateways: [`${l.gatewayRef.namespace}/${l.synthName}`],
          ...(tls ? { tls: rules } : { tcp: rules }),
        },
      } as SnapshotResource)
    }
  }

  const status: GatewayApiStatus = {
    gatewayClassName: className,
    gateways: gatewayStatus.map((g) => {
      const programmed = g.listeners.some((l) => served.includes(l))
      return {
        gateway: g.ref,
        gatewayClassName: g.spec.gatewayClassName,
        conditions: [
          cond('Accepted', true, 'Accepted', `handled by ${GATEWAY_API_CONTROLLER}`),
          programmed
            ? cond('Programmed', true, 'Programmed', 'listeners are served')
            : cond('Programmed', false, 'Invalid', 'no listener can be served'),
        ],
        listeners: g.listeners.map((l) => {
          const accepted = l.problems.find((p) => p.type === 'Accepted')
          const refs = l.problems.find((p) => p.type === 'ResolvedRefs')
          const kinds = l.listener.allowedRoutes?.kinds
          const protocolKinds = PROTOCOL_KINDS[l.listener.protocol] ?? []
          const badKind = kinds?.find(
            (k) => (k.group ?? GROUP) !== GROUP || !protocolKinds.includes(k.kind as RouteKind),
          )
          const ok = served.includes(l)
          return {
            name: l.listener.name,
            supportedKinds: l.kinds.map((kind) => ({ group: GROUP, kind })),
            attachedRoutes: l.attached,
            conditions: [
              accepted ?? cond('Accepted', true, 'Accepted', 'listener accepted'),
              refs ??
                (badKind === undefined
                  ? cond('ResolvedRefs', true, 'ResolvedRefs', 'references resolved')
                  : cond(
                      'ResolvedRefs',
                      false,
                      'InvalidRouteKinds',
                      `route kind ${badKind.kind} is not supported on a ${l.listener.protocol} listener` +
                        ` (supported: ${protocolKinds.join(', ') || 'none'})`,
                    )),
              l.conflicted ?? cond('Conflicted', false, 'NoConflicts', 'no conflicts'),
              ok
                ? cond('Programmed', true, 'Programmed', 'listener is served')
                : cond('Programmed', false, 'Invalid', 'listener is not served'),
            ],
          }
        }),
      }
    }),
    routes: routeStatus,
  }
  return { gateways, virtualServices, services, status }
}

function mirrorOf(f: HTTPRouteFilter, routeNs: string) {
  const m = f.requestMirror!
  const percent =
    m.percent !== undefined
      ? m.percent
      : m.fraction !== undefined
        ? (m.fraction.numerator / (m.fraction.denominator ?? 100)) * 100
        : 100
  return {
    destination: {
      host: serviceHost(m.backendRef.name, m.backendRef.namespace ?? routeNs),
      ...(m.backendRef.port === undefined ? {} : { port: { number: m.backendRef.port } }),
    },
    percentage: { value: percent },
  }
}

/**
 * The destinations of a TLSRoute or TCPRoute rule. Backends of weight 0 are left out (as Istio
 * does); an invalid backend keeps its share, marked so that its connections are refused; when no
 * backend has weight, every connection is refused (the spec's rule for both kinds).
 */
function l4Destinations(
  route: NormalizedRoute,
  rule: NormalizedRule,
  verdict: (route: NormalizedRoute, b: BackendObjectReference) => BackendVerdict,
): RouteDestination[] {
  const weightedRefs = rule.backendRefs.filter((b) => (b.weight ?? 1) > 0)
  const none = weightedRefs.length === 0
  return (none ? rule.backendRefs : weightedRefs).map((b) => ({
    destination: {
      host: serviceHost(b.name, b.namespace ?? route.ref.namespace),
      port: { number: b.port ?? 0 },
    },
    weight: b.weight ?? 1,
    ...(none || !verdict(route, b).ok ? { [INVALID_BACKEND]: true } : {}),
  }))
}

/** The Istio action of one Gateway API rule (redirect, or forward with filters; 500 when nothing valid). */
function translateRule(
  route: NormalizedRoute,
  rule: NormalizedRule,
  listenerPort: number,
  mode: PrefixMode,
  verdict: (route: NormalizedRoute, b: BackendObjectReference) => BackendVerdict,
): Omit<HTTPRoute, 'match'> {
  const ns = route.ref.namespace
  const headers = headersOf(rule.filters)
  const redirect = rule.filters.find((f) => f.type === 'RequestRedirect')?.requestRedirect
  if (redirect !== undefined) {
    const port =
      redirect.port !== undefined
        ? redirect.port
        : redirect.scheme !== undefined
          ? redirect.scheme === 'https'
            ? 443
            : 80
          : listenerPort
    const path = redirect.path
    return {
      redirect: {
        ...(redirect.scheme === undefined ? {} : { scheme: redirect.scheme }),
        ...(redirect.hostname === undefined ? {} : { authority: redirect.hostname }),
        port,
        redirectCode: redirect.statusCode ?? 302,
        ...(path?.type === 'ReplaceFullPath' && path.replaceFullPath !== undefined
          ? { uri: path.replaceFullPath }
          : {}),
        ...(path?.type === 'ReplacePrefixMatch' && path.replacePrefixMatch !== undefined
          ? { prefixRewrite: prefixReplacement(path.replacePrefixMatch, mode) }
          : {}),
      },
      ...(headers === undefined ? {} : { headers }),
    }
  }
  if (rule.filters.some((f) => f.type === 'ExtensionRef')) {
    return { directResponse: { status: 500 } }
  }
  const valid = rule.backendRefs.filter((b) => verdict(route, b).ok)
  const weighted = valid.filter((b) => (b.weight ?? 1) > 0)
  if (weighted.length === 0)
    return { directResponse: { status: 500 }, ...(headers === undefined ? {} : { headers }) }
  // Invalid backends keep their share of the traffic, answered 500.
  const invalid = rule.backendRefs.filter((b) => !verdict(route, b).ok && (b.weight ?? 1) > 0)
  const rewrite = rule.filters.find((f) => f.type === 'URLRewrite')?.urlRewrite
  const cors = rule.filters.find((f) => f.type === 'CORS')?.cors
  const out: Omit<HTTPRoute, 'match'> = {
    route: [
      ...valid.map((b) => {
        const h = headersOf(b.filters ?? [])
        return {
          destination: { host: serviceHost(b.name, b.namespace ?? ns), port: { number: b.port! } },
          weight: b.weight ?? 1,
          ...(h === undefined ? {} : { headers: h }),
        }
      }),
      ...invalid.map((b) => ({
        destination: { host: serviceHost(b.name, b.namespace ?? ns), port: { number: b.port ?? 0 } },
        weight: b.weight ?? 1,
        [INVALID_BACKEND]: true,
      })),
    ],
    ...(headers === undefined ? {} : { headers }),
  }
  const mirrors = rule.filters.filter(
    (f) => f.type === 'RequestMirror' && verdict(route, f.requestMirror!.backendRef).ok,
  )
  if (mirrors.length > 0) out.mirrors = mirrors.map((f) => mirrorOf(f, ns))
  if (rewrite !== undefined) {
    const p = rewrite.path
    out.rewrite = {
      ...(rewrite.hostname === undefined ? {} : { authority: rewrite.hostname }),
      ...(p?.type === 'ReplacePrefixMatch' && p.replacePrefixMatch !== undefined
        ? { uri: prefixReplacement(p.replacePrefixMatch, mode) }
        : {}),
      ...(p?.type === 'ReplaceFullPath' && p.replaceFullPath !== undefined
        ? { uriRegexRewrite: { match: '/.*', rewrite: p.replaceFullPath } }
        : {}),
    }
  }
  if (cors !== undefined) {
    out.corsPolicy = {
      ...(cors.allowOrigins === undefined ? {} : { allowOrigins: cors.allowOrigins.map(corsOrigin) }),
      ...(cors.allowMethods === undefined ? {} : { allowMethods: cors.allowMethods }),
      ...(cors.allowHeaders === undefined ? {} : { allowHeaders: cors.allowHeaders }),
      ...(cors.exposeHeaders === undefined ? {} : { exposeHeaders: cors.exposeHeaders }),
      ...(cors.maxAge === undefined ? {} : { maxAge: `${cors.maxAge}s` }),
      ...(cors.allowCredentials === undefined ? {} : { allowCredentials: cors.allowCredentials }),
    }
  }
  const request =
    rule.timeouts?.request === undefined ? undefined : (parseDuration(rule.timeouts.request) ?? 0)
  const backend =
    rule.timeouts?.backendRequest === undefined
      ? undefined
      : (parseDuration(rule.timeouts.backendRequest) ?? 0)
  const timeout =
    request !== undefined && request > 0
      ? request
      : backend !== undefined && backend > 0
        ? backend
        : undefined
  if (timeout !== undefined) out.timeout = `${timeout / 1000}s`
  if (rule.retry !== undefined) {
    const codes = rule.retry.codes ?? []
    // As Istio: a retry stanza without attempts takes the default policy's 2.
    const attempts = rule.retry.attempts ?? 2
    out.retries = {
      attempts,
      retryOn:
        attempts === 0
          ? ''
          : ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', ...codes.map(String)].join(','),
      ...(backend !== undefined && backend > 0 ? { perTryTimeout: `${backend / 1000}s` } : {}),
      ...(rule.retry.backoff === undefined ? {} : { backoff: rule.retry.backoff }),
    }
  } else if (backend !== undefined && backend > 0 && request !== undefined && request > 0) {
    out.retries = {
      attempts: 2,
      retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
      perTryTimeout: `${backend / 1000}s`,
    }
  }
  return out
}

/**
 * The replacement text for a matched prefix. The translation splits `PathPrefix /foo` into
 * `exact /foo` (replaced whole) and `prefix /foo/` (whose trailing `/` is replaced too), so the
 * replacement keeps one `/` before the rest of the path: `/foo/bar` with `/baz` → `/baz/bar`,
 * with `/` → `/bar`; `/foo` with `/baz` → `/baz`.
 */
function prefixReplacement(replacement: string, mode: PrefixMode): string {
  const trimmed = replacement.replace(/\/+$/, '')
  if (mode === 'exact') return trimmed === '' ? '/' : trimmed
  return `${trimmed}/`
}

/**
 * The status as text, one line per condition, indented under its Gateway, listener, route and
 * parent: what `kubectl get gateway,httproute -o yaml` would show under `status`.
 */
export function formatGatewayApiStatus(status: GatewayApiStatus): string {
  const lines: string[] = []
  const conditions = (list: readonly StatusCondition[], indent: string) => {
    for (const c of list) {
      lines.push(`${indent}${c.type}=${c.status} (${c.reason})${c.message === '' ? '' : `: ${c.message}`}`)
    }
  }
  if (status.gateways.length === 0) lines.push(`no Gateway of class ${status.gatewayClassName}`)
  for (const g of status.gateways) {
    lines.push(`Gateway ${g.gateway.namespace}/${g.gateway.name} (class ${g.gatewayClassName})`)
    conditions(g.conditions, '  ')
    for (const l of g.listeners) {
      lines.push(
        `  listener ${l.name}: ${l.attachedRoutes} attached route${l.attachedRoutes === 1 ? '' : 's'}`,
      )
      conditions(l.conditions, '    ')
    }
  }
  for (const r of status.routes) {
    lines.push(`${r.route.kind} ${r.route.namespace}/${r.route.name}`)
    if (r.parents.length === 0) lines.push('  (no parent served by this process)')
    for (const p of r.parents) {
      const section = p.parentRef.sectionName === undefined ? '' : ` sectionName ${p.parentRef.sectionName}`
      const port = p.parentRef.port === undefined ? '' : ` port ${p.parentRef.port}`
      lines.push(`  parent Gateway ${p.parentRef.namespace}/${p.parentRef.name}${section}${port}`)
      conditions(p.conditions, '    ')
    }
  }
  return lines.join('\n')
}
