import type { Diagnostic, ResourceRef, SourceLocation } from '../diagnostics/diagnostic.js'
import { parseDuration } from '../model/duration.js'
import { resolveShortname } from '../model/names.js'
import type {
  CorsPolicy,
  Destination,
  HeaderOperations,
  Headers,
  HTTPMatchRequest,
  HTTPRoute,
  StringMatch,
} from '../resources/virtual-service.js'
import { INVALID_BACKEND } from './gateway-api.js'
import {
  compileStringMatch,
  describeMatch,
  evaluateMatch,
  headerSource,
  isCatchAllMatch,
  type KeyedMatcher,
  type RouteMatchSpec,
  routingClaim,
  type StringMatcher,
} from './match.js'
import { compileRegex, translateSubstitution } from './regex.js'
import type {
  CompiledRoute,
  CorsSpec,
  FaultSpec,
  ForwardSpec,
  HeaderOpSet,
  HeaderOps,
  MirrorSpec,
  RedirectSpec,
  RequestView,
  RetryPolicy,
  RewriteSpec,
  RouteActionSpec,
  RouteOrigin,
  UriMatch,
  WeightedDestination,
} from './types.js'

/** Istio's default retry policy (mesh `defaultHttpRetryPolicy`, retry.go `DefaultPolicy`). */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  attempts: 2,
  retryOn: Object.freeze([
    'connect-failure',
    'refused-stream',
    'unavailable',
    'cancelled',
    'retriable-status-codes',
  ]),
  retriableStatusCodes: Object.freeze([]) as readonly number[],
  isDefault: true,
})

const EMPTY_SET: HeaderOpSet = Object.freeze({ set: [], add: [], remove: [] })
/** Header operations that do nothing. */
export const NO_HEADER_OPS: HeaderOps = Object.freeze({ request: EMPTY_SET, response: EMPTY_SET })

/** What a destination resolves against: the service registry view of the compiler. */
export interface DestinationResolver {
  /** Ports of a known service host (FQDN), or undefined when the host is unknown. */
  servicePorts(host: string): readonly number[] | undefined
  /** Records that a cluster with this name/host/port/subset is referenced. */
  reference(clusterName: string, host: string, port: number, subset: string | undefined): void
}

/** Context of translating one VirtualService for one server. */
export interface RouteContext {
  readonly virtualService: ResourceRef
  /** Gateway server port number (80/443), used by `match.port` and port defaulting. */
  readonly serverPort: number
  /** Whether a match's `gateways` list (already resolved) names this server's gateway. */
  readonly gatewayAllowed: (gateways: readonly string[]) => boolean
  /** Labels of the gateway process: a match's `sourceLabels` must be a subset (Istio compares the gateway's own labels). */
  readonly labels?: Readonly<Record<string, string>>
  readonly resolver: DestinationResolver
  readonly locate?: (path: readonly (string | number)[]) => SourceLocation | undefined
  readonly diagnostics: Diagnostic[]
  /** Shared actions of plain `route`-only rules, so identical forwards compile once. */
  readonly actionCache?: Map<string, RouteActionSpec>
}

class Route implements CompiledRoute {
  constructor(
    readonly origin: RouteOrigin,
    readonly spec: RouteMatchSpec | undefined,
    readonly action: RouteActionSpec,
    readonly uri: UriMatch | undefined,
    readonly catchAll: boolean,
  ) {
    this.pathOnly =
      spec !== undefined &&
      spec.uri !== undefined &&
      spec.method === undefined &&
      spec.scheme === undefined &&
      spec.authority === undefined &&
      spec.headers.length === 0 &&
      spec.withoutHeaders.length === 0 &&
      spec.queryParams.length === 0
  }
  readonly pathOnly: boolean
  get matchDescription(): string {
    return describeMatch(this.spec)
  }
  matches(request: RequestView): boolean {
    return this.spec === undefined || evaluateMatch(this.spec, request)
  }
}

function opSet(ops: HeaderOperations | undefined): HeaderOpSet {
  if (ops === undefined) return EMPTY_SET
  const lower = (m: Record<string, string> | undefined) =>
    Object.entries(m ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const)
  return {
    set: lower(ops.set),
    add: lower(ops.add),
    remove: (ops.remove ?? []).map((k) => k.toLowerCase()),
  }
}

/** Route-level header ops; `host`/`:authority` in request set/add become an authority rewrite. */
function headerOps(headers: Headers | undefined): { ops: HeaderOps; authority?: string } {
  if (headers === undefined) return { ops: NO_HEADER_OPS }
  const request = opSet(headers.request)
  let authority: string | undefined
  const isAuthority = (k: string) => k === 'host' || k === ':authority'
  for (const [k, v] of request.add) if (isAuthority(k)) authority = v
  for (const [k, v] of request.set) if (isAuthority(k)) authority = v
  const keep = (e: readonly [string, string]) => !e[0].startsWith(':') && e[0] !== 'host'
  const ops: HeaderOps = {
    request: { set: request.set.filter(keep), add: request.add.filter(keep), remove: request.remove },
    response: opSet(headers.response),
  }
  return authority === undefined ? { ops } : { ops, authority }
}

const NO_KEYED: KeyedMatcher[] = []

function compileKeyed(
  entries: Record<string, StringMatch> | undefined,
  isHeader: boolean,
  fail: (message: string) => void,
): KeyedMatcher[] | undefined {
  if (entries === undefined) return NO_KEYED
  const out: KeyedMatcher[] = []
  for (const [rawName, m] of Object.entries(entries)) {
    const name = isHeader ? rawName.toLowerCase() : rawName
    const c = compileStringMatch(m, { starIsPresence: isHeader })
    if (!c.ok) {
      fail(c.error)
      return undefined
    }
    const claim = isHeader ? routingClaim(rawName) : undefined
    if (claim !== undefined) out.push({ name, source: 'claim', matcher: c.matcher, claim })
    else out.push({ name, source: isHeader ? headerSource(name) : 'header', matcher: c.matcher })
  }
  return out
}

function compileOne(
  m: StringMatch | undefined,
  fail: (e: string) => void,
  ignoreCase = false,
): StringMatcher | undefined | null {
  if (m === undefined) return undefined
  const c = compileStringMatch(m, { ignoreCase })
  if (!c.ok) {
    fail(c.error)
    return null
  }
  return c.matcher
}

/** Compiles one `HTTPMatchRequest`; `null` when a regex does not compile. */
export function compileMatchRequest(
  match: HTTPMatchRequest,
  fail: (e: string) => void,
): RouteMatchSpec | null {
  const uri = compileOne(match.uri, fail, match.ignoreUriCase === true)
  const scheme = compileOne(match.scheme, fail)
  const method = compileOne(match.method, fail)
  const authority = compileOne(match.authority, fail)
  if (uri === null || scheme === null || method === null || authority === null) return null
  const headers = compileKeyed(match.headers, true, fail)
  const withoutHeaders = compileKeyed(match.withoutHeaders, true, fail)
  const queryParams = compileKeyed(match.queryParams, false, fail)
  if (headers === undefined || withoutHeaders === undefined || queryParams === undefined) return null
  // One object shape for every match (absent matchers are undefined), so that building and
  // reading specs stays monomorphic across 100,000s of routes.
  return {
    uri: uri === undefined || uri.kind === 'present' ? undefined : uri,
    scheme,
    method,
    authority,
    headers,
    withoutHeaders,
    queryParams,
  }
}

function resolveDestination(
  d: Destination,
  ctx: RouteContext,
  namespace: string,
): { host: string; port: number; subset: string | undefined; clusterName: string } {
  const host = resolveShortname(d.host, namespace)
  let port = d.port?.number
  if (port === undefined) {
    const ports = ctx.resolver.servicePorts(host)
    port = ports !== undefined && ports.length === 1 ? ports[0]! : ctx.serverPort
  }
  const subset = d.subset === undefined || d.subset === '' ? undefined : d.subset
  const clusterName = `outbound|${port}|${subset ?? ''}|${host}`
  ctx.resolver.reference(clusterName, host, port, subset)
  return { host, port, subset, clusterName }
}

/** Weighted destinations: one destination gets everything; otherwise weight-0 entries are dropped. */
export function weighted<T extends { readonly weight: number }>(
  list: readonly T[],
): { destinations: T[]; cumulativeWeights: number[] } {
  const kept = list.length === 1 ? [{ ...list[0]!, weight: 100 }] : list.filter((d) => d.weight > 0)
  const cumulativeWeights: number[] = []
  let sum = 0
  for (const d of kept) {
    sum += d.weight
    cumulativeWeights.push(sum)
  }
  return { destinations: kept, cumulativeWeights }
}

function percentOf(
  p: { value?: number | undefined } | undefined,
  legacy: number | null | undefined,
  dflt: number,
) {
  if (p?.value !== undefined) return p.value
  if (legacy !== undefined && legacy !== null) return legacy
  return dflt
}

function retryPolicy(route: HTTPRoute): RetryPolicy {
  const r = route.retries
  if (r === undefined) return DEFAULT_RETRY_POLICY
  const attempts = r.attempts ?? 0
  if (attempts <= 0) return { attempts: 0, retryOn: [], retriableStatusCodes: [], isDefault: false }
  let retryOn = [...DEFAULT_RETRY_POLICY.retryOn]
  const codes: number[] = []
  if (r.retryOn !== undefined && r.retryOn !== '') {
    retryOn = []
    for (const raw of r.retryOn.split(',')) {
      const token = raw.trim()
      if (token === '') continue
      if (/^\d+$/.test(token)) codes.push(Number(token))
      else if (!retryOn.includes(token)) retryOn.push(token)
    }
    if (codes.length > 0 && !retryOn.includes('retriable-status-codes'))
      retryOn.push('retriable-status-codes')
  }
  const perTry = r.perTryTimeout === undefined ? undefined : parseDuration(r.perTryTimeout)
  const backoff = r.backoff === undefined ? undefined : parseDuration(r.backoff)
  const ignorePrevious = r.retryIgnorePreviousHosts ?? undefined
  return {
    attempts,
    ...(perTry === undefined || perTry === 0 ? {} : { perTryTimeoutMs: perTry }),
    retryOn,
    retriableStatusCodes: codes,
    isDefault: false,
    ...(backoff === undefined || backoff <= 0 ? {} : { backoffBaseMs: backoff }),
    ...(ignorePrevious === undefined ? {} : { ignorePreviousHosts: ignorePrevious }),
  }
}

function faultSpec(route: HTTPRoute): FaultSpec | undefined {
  const f = route.fault
  if (f === undefined) return undefined
  const delayMs = f.delay?.fixedDelay === undefined ? undefined : parseDuration(f.delay.fixedDelay)
  const delay =
    f.delay !== undefined && delayMs !== undefined
      ? { ms: delayMs, percent: percentOf(f.delay.percentage, f.delay.percent, 0) }
      : undefined
  const abort =
    f.abort?.httpStatus !== undefined
      ? { status: f.abort.httpStatus, percent: percentOf(f.abort.percentage, undefined, 0) }
      : undefined
  if (delay === undefined && abort === undefined) return undefined
  return { ...(delay === undefined ? {} : { delay }), ...(abort === undefined ? {} : { abort }) }
}

function corsSpec(policy: CorsPolicy | undefined, fail: (e: string) => void): CorsSpec | undefined {
  if (policy === undefined) return undefined
  const matchers: StringMatcher[] = []
  for (const o of policy.allowOrigin ?? []) {
    const c = compileStringMatch({ exact: o })
    if (c.ok) matchers.push(c.matcher)
  }
  for (const o of policy.allowOrigins ?? []) {
    const c = compileStringMatch(o)
    if (c.ok) matchers.push(c.matcher)
    else fail(c.error)
  }
  const join = (list: readonly string[] | undefined) =>
    list === undefined || list.length === 0 ? undefined : list.join(',')
  const maxAgeMs = policy.maxAge === undefined ? undefined : parseDuration(policy.maxAge)
  const allowMethods = join(policy.allowMethods)
  const allowHeaders = join(policy.allowHeaders)
  const exposeHeaders = join(policy.exposeHeaders)
  return new Cors(matchers, {
    ...(allowMethods === undefined ? {} : { allowMethods }),
    ...(allowHeaders === undefined ? {} : { allowHeaders }),
    ...(exposeHeaders === undefined ? {} : { exposeHeaders }),
    ...(maxAgeMs === undefined ? {} : { maxAgeSeconds: Math.floor(maxAgeMs / 1000) }),
    allowCredentials: policy.allowCredentials === true,
    unmatchedPreflights: policy.unmatchedPreflights === 'IGNORE' ? 'IGNORE' : 'FORWARD',
  })
}

class Cors implements CorsSpec {
  readonly allowMethods?: string
  readonly allowHeaders?: string
  readonly exposeHeaders?: string
  readonly maxAgeSeconds?: number
  readonly allowCredentials: boolean
  readonly unmatchedPreflights: 'FORWARD' | 'IGNORE'
  readonly #matchers: readonly StringMatcher[]
  constructor(matchers: readonly StringMatcher[], fields: Omit<CorsSpec, 'allowsOrigin'>) {
    this.#matchers = matchers
    Object.assign(this, fields)
    this.allowCredentials = fields.allowCredentials
    this.unmatchedPreflights = fields.unmatchedPreflights
  }
  /** Envoy: allowed when a matcher accepts the origin, or accepts the literal `*`. */
  allowsOrigin(origin: string): boolean {
    for (const m of this.#matchers) if (m.test(origin) || m.test('*')) return true
    return false
  }
}

function redirectSpec(route: HTTPRoute, ops: HeaderOps): RedirectSpec | string {
  const r = route.redirect!
  const code = r.redirectCode === undefined || r.redirectCode === 0 ? 301 : r.redirectCode
  if (code !== 301 && code !== 302 && code !== 303 && code !== 307 && code !== 308) {
    return `redirect code ${code} is not one of 301, 302, 303, 307, 308`
  }
  return {
    ...(r.uri === undefined ? {} : { uri: r.uri }),
    ...(r.authority === undefined ? {} : { authority: r.authority }),
    ...(r.port === undefined ? {} : { port: r.port }),
    ...(r.derivePort === undefined ? {} : { derivePort: r.derivePort }),
    ...(r.scheme === undefined ? {} : { scheme: r.scheme }),
    ...(r.prefixRewrite === undefined || r.prefixRewrite === '' ? {} : { prefixRewrite: r.prefixRewrite }),
    status: code,
    headers: ops,
  }
}

function decodeBody(
  body: { string?: string | undefined; bytes?: string | undefined } | undefined,
): Uint8Array | undefined {
  if (body === undefined) return undefined
  if (body.string !== undefined) return new TextEncoder().encode(body.string)
  if (body.bytes !== undefined) return new Uint8Array(Buffer.from(body.bytes, 'base64'))
  return undefined
}

/**
 * Translates the action of one HTTPRoute (shared by all its match entries; identical plain
 * forwards are shared across routes). Returns a message instead when the route must be dropped.
 */
export function translateAction(
  route: HTTPRoute,
  namespace: string,
  ctx: RouteContext,
): RouteActionSpec | string {
  const plain =
    ctx.actionCache !== undefined &&
    route.redirect === undefined &&
    route.directResponse === undefined &&
    route.rewrite === undefined &&
    route.timeout === undefined &&
    route.retries === undefined &&
    route.fault === undefined &&
    route.mirror === undefined &&
    route.mirrors === undefined &&
    route.corsPolicy === undefined &&
    route.headers === undefined
  if (!plain) return translateActionUncached(route, namespace, ctx)
  const key = `${namespace}|${ctx.serverPort}|${JSON.stringify(route.route ?? [])}`
  const cached = ctx.actionCache!.get(key)
  if (cached !== undefined) return cached
  const action = translateActionUncached(route, namespace, ctx)
  if (typeof action !== 'string') ctx.actionCache!.set(key, action)
  return action
}

function translateActionUncached(
  route: HTTPRoute,
  namespace: string,
  ctx: RouteContext,
): RouteActionSpec | string {
  const { ops, authority } = headerOps(route.headers)
  let failure: string | undefined
  const fail = (e: string) => {
    failure ??= e
  }
  if (route.redirect !== undefined) {
    const spec = redirectSpec(route, ops)
    return typeof spec === 'string' ? spec : { kind: 'redirect', redirect: spec }
  }
  if (route.directResponse !== undefined) {
    const body = decodeBody(route.directResponse.body)
    return {
      kind: 'directResponse',
      status: route.directResponse.status,
      ...(body === undefined ? {} : { body }),
      headers: ops,
    }
  }
  const dests: WeightedDestination[] = (route.route ?? []).map((d) => {
    const r = resolveDestination(d.destination, ctx, namespace)
    const dh = headerOps(d.headers)
    return {
      host: r.host,
      port: r.port,
      ...(r.subset === undefined ? {} : { subset: r.subset }),
      weight: d.weight ?? 0,
      clusterName: r.clusterName,
      headers: dh.ops,
      ...((d as { [INVALID_BACKEND]?: true })[INVALID_BACKEND] === true ? { invalid: true as const } : {}),
    }
  })
  const { destinations, cumulativeWeights } = weighted(dests)
  let rewrite: RewriteSpec | undefined
  const rw = route.rewrite
  if (rw !== undefined || authority !== undefined) {
    let uriRegex: RewriteSpec['uriRegex']
    if (rw?.uriRegexRewrite?.match !== undefined) {
      const c = compileRegex(rw.uriRegexRewrite.match)
      if (!c.ok) return `uriRegexRewrite.match: ${c.error}`
      const rewriteText = rw.uriRegexRewrite.rewrite ?? ''
      uriRegex = {
        match: rw.uriRegexRewrite.match,
        rewrite: rewriteText,
        regex: c.regex,
        substitution: translateSubstitution(rewriteText),
      }
    }
    const auth = rw?.authority ?? authority
    rewrite = {
      ...(rw?.uri === undefined ? {} : { uri: rw.uri }),
      ...(uriRegex === undefined ? {} : { uriRegex }),
      ...(auth === undefined ? {} : { authority: auth }),
    }
  }
  const timeoutMs = route.timeout === undefined ? undefined : parseDuration(route.timeout)
  const mirrors: MirrorSpec[] = []
  if (route.mirror !== undefined) {
    const r = resolveDestination(route.mirror, ctx, namespace)
    mirrors.push({
      clusterName: r.clusterName,
      host: r.host,
      port: r.port,
      ...(r.subset === undefined ? {} : { subset: r.subset }),
      percent: percentOf(route.mirrorPercentage, route.mirrorPercent ?? route.mirror_percent, 100),
    })
  }
  for (const m of route.mirrors ?? []) {
    const r = resolveDestination(m.destination, ctx, namespace)
    mirrors.push({
      clusterName: r.clusterName,
      host: r.host,
      port: r.port,
      ...(r.subset === undefined ? {} : { subset: r.subset }),
      percent: percentOf(m.percentage, undefined, 100),
    })
  }
  const fault = faultSpec(route)
  const cors = corsSpec(route.corsPolicy, fail)
  if (failure !== undefined) return `corsPolicy: ${failure}`
  const forward: ForwardSpec = {
    destinations,
    cumulativeWeights,
    ...(rewrite === undefined ? {} : { rewrite }),
    headers: ops,
    ...(timeoutMs === undefined || timeoutMs === 0 ? {} : { timeoutMs }),
    retries: retryPolicy(route),
    ...(fault === undefined ? {} : { fault }),
    mirrors,
    ...(cors === undefined ? {} : { cors }),
  }
  return { kind: 'route', route: forward }
}

/** One HTTPRoute of a VirtualService with where it sits (delegates keep their own VS). */
export interface SourcedRoute {
  readonly route: HTTPRoute
  readonly virtualService: ResourceRef
  readonly index: number
  readonly locate?: ((path: readonly (string | number)[]) => SourceLocation | undefined) | undefined
  /** The index each `match` entry reports (a Gateway API rule's match), when not its own. */
  readonly matchIndexes?: readonly (number | undefined)[] | undefined
}

/**
 * Istio's `BuildHTTPRoutesForVirtualService` for one server: one compiled route per `match`
 * entry that survives the build-time filters (`port`, `gateways`), in order; translation stops
 * after the first catch-all route. Routes whose matchers or action cannot be compiled are
 * dropped with a PTC4002 warning.
 */
export function translateHttpRoutes(routes: readonly SourcedRoute[], ctx: RouteContext): CompiledRoute[] {
  const out: CompiledRoute[] = []
  for (const sourced of routes) {
    const { route: http, index: i } = sourced
    const vs = sourced.virtualService
    const basePath = ['spec', 'http', i]
    const warn = (message: string, path: (string | number)[]) => {
      const source = sourced.locate?.(path)
      ctx.diagnostics.push({
        severity: 'warning',
        code: 'PTC4002',
        message: `route dropped: ${message}`,
        resource: vs,
        path: path
          .map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))
          .join('')
          .slice(1),
        ...(source === undefined ? {} : { source }),
      })
    }
    const action = translateAction(http, vs.namespace, ctx)
    if (typeof action === 'string') {
      warn(action, basePath)
      continue
    }
    const entries: (HTTPMatchRequest | undefined)[] =
      http.match === undefined || http.match.length === 0 ? [undefined] : http.match
    let stop = false
    for (let j = 0; j < entries.length; j++) {
      const m = entries[j]
      if (m !== undefined) {
        if (m.port !== undefined && m.port !== 0 && m.port !== ctx.serverPort) continue
        if (m.gateways !== undefined && m.gateways.length > 0 && !ctx.gatewayAllowed(m.gateways)) continue
        if (
          m.sourceLabels !== undefined &&
          !Object.entries(m.sourceLabels).every(([k, v]) => ctx.labels?.[k] === v)
        ) {
          continue
        }
      }
      let error: string | undefined
      const spec =
        m === undefined
          ? undefined
          : compileMatchRequest(m, (e) => {
              error ??= e
            })
      if (spec === null) {
        warn(error ?? 'invalid match', [...basePath, 'match', j])
        continue
      }
      const name =
        http.name === undefined ? m?.name : m?.name === undefined ? http.name : `${http.name}.${m.name}`
      const source = sourced.locate?.(m === undefined ? basePath : [...basePath, 'match', j])
      const origin: RouteOrigin = {
        virtualService: vs,
        routeIndex: i,
        ...(m === undefined ? {} : { matchIndex: sourced.matchIndexes?.[j] ?? j }),
        ...(name === undefined ? {} : { name }),
        ...(source === undefined ? {} : { source }),
      }
      const u = spec?.uri
      const uri: UriMatch | undefined =
        u === undefined || u.kind === 'present'
          ? undefined
          : { kind: u.kind, value: u.value, ignoreCase: u.ignoreCase }
      const catchAll = isCatchAllMatch(spec)
      out.push(new Route(origin, spec, action, uri, catchAll))
      if (catchAll) {
        stop = true
        break
      }
    }
    if (stop) break
  }
  return out
}
