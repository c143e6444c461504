import type { SourceLocation } from '../diagnostics/diagnostic.js'
import { routeStatName } from './route-name.js'
import type {
  CompiledConfig,
  CompiledRoute,
  CompiledServer,
  PemSource,
  RouteActionSpec,
  RouteOrigin,
  WeightedDestination,
} from './types.js'

/** One route as `portico routes` lists it. */
export interface RouteRow {
  /** Route config: `http.80`, `https.443.https.httpbin-gateway.default`. */
  readonly routeConfig: string
  readonly virtualHost: string
  readonly domains: readonly string[]
  /** `uri prefix "/status"`, `*` for a route without conditions, `(https redirect)` for a redirect-only host. */
  readonly match: string
  /** `route outbound|8000||httpbin.default.svc.cluster.local`, `redirect 301 …`, `direct 200`. */
  readonly action: string
  /** `namespace/name http[0].match[1]`. */
  readonly origin: string
  readonly name?: string
  /** The name the route's requests are counted under (`routeStatName`: `name`, else `<VirtualService>.<rule>`). */
  readonly routeName?: string
  /** `file:line:column` when the VirtualService was loaded from a file. */
  readonly source?: string
}

/** The compiled table in a JSON-able form: listeners, servers, routes and clusters. */
export interface RoutesDescription {
  readonly version: number
  readonly listeners: readonly {
    readonly port: number
    readonly name: string
    readonly protocol: string
    readonly servers: readonly {
      readonly name: string
      readonly hosts: readonly string[]
      readonly protocol: string
      readonly tls?: { readonly mode: string; readonly certificate?: string }
      readonly passthrough?: readonly {
        readonly sniHosts: readonly string[]
        readonly action: string
        readonly origin: string
      }[]
      readonly tcp?: { readonly action: string; readonly origin: string }
    }[]
  }[]
  readonly routes: readonly RouteRow[]
  readonly clusters: readonly {
    readonly name: string
    readonly endpoints: readonly string[]
    readonly loadBalancer: string
  }[]
}

/** `file:line:column` of a source location. */
export function formatSource(source: SourceLocation | undefined): string | undefined {
  return source === undefined ? undefined : `${source.file}:${source.line}:${source.column}`
}

/** `namespace/name http[0].match[1]`: where a compiled route came from. */
export function formatOrigin(origin: RouteOrigin, section = 'http'): string {
  const vs = origin.virtualService
  if (
    vs.kind === 'HTTPRoute' ||
    vs.kind === 'GRPCRoute' ||
    vs.kind === 'TLSRoute' ||
    vs.kind === 'TCPRoute'
  ) {
    const matches = origin.matchIndex === undefined ? '' : `.matches[${origin.matchIndex}]`
    return `${vs.kind} ${vs.namespace}/${vs.name} rules[${origin.routeIndex}]${matches}`
  }
  const match = origin.matchIndex === undefined ? '' : `.match[${origin.matchIndex}]`
  return `${vs.namespace}/${vs.name} ${section}[${origin.routeIndex}]${match}`
}

function formatPem(p: PemSource | undefined): string | undefined {
  if (p === undefined) return undefined
  return p.kind === 'file' ? p.path : `secret ${p.secret.namespace}/${p.secret.name}`
}

function formatDestinations(
  destinations: readonly WeightedDestination[],
  cumulative: readonly number[],
): string {
  if (destinations.length === 0) return '(no destination)'
  const name = (d: WeightedDestination) =>
    d.invalid === true ? `${d.clusterName} (invalid backend)` : d.clusterName
  if (destinations.length === 1) return name(destinations[0]!)
  const total = cumulative[cumulative.length - 1] ?? 0
  return destinations.map((d) => `${name(d)} ${Math.round((d.weight / total) * 1000) / 10}%`).join(', ')
}

/** A one-line form of a route's action. */
export function describeAction(action: RouteActionSpec): string {
  switch (action.kind) {
    case 'route': {
      const f = action.route
      const parts = [`route ${formatDestinations(f.destinations, f.cumulativeWeights)}`]
      if (f.rewrite?.uri !== undefined) parts.push(`rewrite uri ${JSON.stringify(f.rewrite.uri)}`)
      if (f.rewrite?.uriRegex !== undefined) {
        parts.push(
          `rewrite regex ${JSON.stringify(f.rewrite.uriRegex.match)} → ${JSON.stringify(f.rewrite.uriRegex.rewrite)}`,
        )
      }
      if (f.rewrite?.authority !== undefined) parts.push(`authority ${f.rewrite.authority}`)
      if (f.timeoutMs !== undefined) parts.push(`timeout ${f.timeoutMs}ms`)
      if (!f.retries.isDefault) {
        parts.push(
          f.retries.attempts === 0
            ? 'no retries'
            : `retries ${f.retries.attempts} on ${f.retries.retryOn.join(',')}`,
        )
      }
      if (f.fault?.delay !== undefined) parts.push(`delay ${f.fault.delay.ms}ms ${f.fault.delay.percent}%`)
      if (f.fault?.abort !== undefined) parts.push(`abort ${f.fault.abort.status} ${f.fault.abort.percent}%`)
      for (const m of f.mirrors) parts.push(`mirror ${m.clusterName} ${m.percent}%`)
      if (f.cors !== undefined) parts.push('cors')
      return parts.join(', ')
    }
    case 'redirect': {
      const r = action.redirect
      const parts = [`redirect ${r.status}`]
      if (r.scheme !== undefined) parts.push(`scheme ${r.scheme}`)
      if (r.authority !== undefined) parts.push(`authority ${r.authority}`)
      if (r.port !== undefined) parts.push(`port ${r.port}`)
      if (r.derivePort !== undefined) parts.push(r.derivePort)
      if (r.uri !== undefined) parts.push(`uri ${JSON.stringify(r.uri)}`)
      return parts.join(' ')
    }
    case 'directResponse':
      return `direct ${action.status}${action.body === undefined ? '' : ` (${action.body.length} bytes)`}`
  }
}

function routeRow(
  server: CompiledServer,
  vhostName: string,
  domains: readonly string[],
  r: CompiledRoute,
): RouteRow {
  const source = formatSource(r.origin.source)
  return {
    routeConfig: server.http?.name ?? server.name,
    virtualHost: vhostName,
    domains,
    match: r.matchDescription,
    action: describeAction(r.action),
    origin: formatOrigin(r.origin),
    ...(r.origin.name === undefined ? {} : { name: r.origin.name }),
    routeName: routeStatName(r.origin),
    ...(source === undefined ? {} : { source }),
  }
}

/** The compiled configuration as data, as `portico routes --output json` prints it. */
export function describeRoutes(compiled: CompiledConfig): RoutesDescription {
  const routes: RouteRow[] = []
  const listeners = [...compiled.listeners.values()].map((l) => ({
    port: l.port,
    name: l.name,
    protocol: l.protocol,
    servers: l.servers.map((s) => {
      for (const vh of s.http?.virtualHosts ?? []) {
        if (vh.routes.length === 0) {
          routes.push({
            routeConfig: s.http!.name,
            virtualHost: vh.name,
            domains: vh.domains,
            match: vh.requireTls ? '(https redirect)' : '(none: 404)',
            action: vh.requireTls ? 'redirect 301 https' : 'not found',
            origin: '-',
          })
        }
        for (const r of vh.routes) {
          routes.push(
            vh.requireTls
              ? { ...routeRow(s, vh.name, vh.domains, r), action: 'redirect 301 https' }
              : routeRow(s, vh.name, vh.domains, r),
          )
        }
      }
      const certificate = formatPem(s.tls?.certificate)
      return {
        name: s.name,
        hosts: s.hosts,
        protocol: s.protocol,
        ...(s.tls === undefined
          ? {}
          : { tls: { mode: s.tls.mode, ...(certificate === undefined ? {} : { certificate }) } }),
        ...(s.passthrough === undefined
          ? {}
          : {
              passthrough: s.passthrough.map((p) => ({
                sniHosts: p.sniHosts,
                action: `forward ${formatDestinations(p.destinations, p.cumulativeWeights)}`,
                origin: formatOrigin(p.origin, 'tls'),
              })),
            }),
        ...(s.tcp === undefined
          ? {}
          : {
              tcp: {
                action: `forward ${formatDestinations(s.tcp.destinations, s.tcp.cumulativeWeights)}`,
                origin: formatOrigin(s.tcp.origin, 'tcp'),
              },
            }),
      }
    }),
  }))
  const clusters = [...compiled.clusters.values()].map((c) => ({
    name: c.name,
    endpoints: c.endpoints.map((e) => `${e.address}:${e.port}`),
    loadBalancer: c.trafficPolicy.loadBalancer.kind,
  }))
  return { version: compiled.version, listeners, routes, clusters }
}

/** The blank line between two tables (none before the first). */
function gap(out: readonly string[]): string[] {
  return out.length === 0 ? [] : ['']
}

/** The line printed instead of route tables when nothing is routed. */
function noRoutes(description: RoutesDescription): string {
  const servers = description.listeners.flatMap((l) => l.servers.map((s) => `${s.name} (${s.protocol})`))
  return servers.length === 0
    ? 'no routes: no Gateway server is served (no Gateway, or none selects this gateway)'
    : `no routes: no route is bound to ${servers.join(', ')}`
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => rows.reduce((w, r) => Math.max(w, (r[i] ?? '').length), h.length))
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

/**
 * A text rendering like `istioctl proxy-config routes`: one line per HTTP route, then the TLS
 * passthrough and TCP entries, then the clusters; a table without rows is left out, and a
 * configuration without any route says so in a line.
 */
export function formatRoutes(description: RoutesDescription): string {
  const out: string[] = []
  if (description.routes.length > 0) {
    out.push(
      table(
        ['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'ACTION', 'VIRTUAL SERVICE'],
        description.routes.map((r) => [
          r.routeConfig,
          r.virtualHost,
          r.domains.join(','),
          r.match,
          r.action,
          r.source === undefined ? r.origin : `${r.origin} (${r.source})`,
        ]),
      ),
    )
  }
  const l4: string[][] = []
  for (const l of description.listeners) {
    for (const s of l.servers) {
      for (const p of s.passthrough ?? [])
        l4.push([s.name, `sni ${p.sniHosts.join(',')}`, p.action, p.origin])
      if (s.tcp !== undefined) l4.push([s.name, '*', s.tcp.action, s.tcp.origin])
    }
  }
  if (l4.length > 0) out.push(...gap(out), table(['SERVER', 'MATCH', 'ACTION', 'VIRTUAL SERVICE'], l4))
  if (out.length === 0) out.push(noRoutes(description))
  if (description.clusters.length > 0) {
    out.push(
      '',
      table(
        ['CLUSTER', 'LB', 'ENDPOINTS'],
        description.clusters.map((c) => [c.name, c.loadBalancer, c.endpoints.join(', ') || '(none: 503)']),
      ),
    )
  }
  return `${out.join('\n')}\n`
}
