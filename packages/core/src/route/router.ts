import { authorityHost } from '../compile/host-table.js'
import type {
  CompiledConfig,
  CompiledListener,
  CompiledRoute,
  CompiledServer,
  ForwardSpec,
  RedirectSpec,
  RequestFacts,
  RouteDecision,
  WeightedDestination,
} from '../compile/types.js'
import { normalizeTarget } from './normalize.js'
import { RequestViewImpl } from './request-view.js'

const EMPTY_HEADER_OPS = {
  request: { set: [], add: [], remove: [] },
  response: { set: [], add: [], remove: [] },
} as const

/** True when the target is exactly `path?query` (normalization changed nothing): reuse it. */
function sameAsTarget(target: string, path: string, query: string): boolean {
  if (query === '') return target.length === path.length && target === path
  return (
    target.length === path.length + 1 + query.length &&
    target.charCodeAt(path.length) === 0x3f &&
    target.startsWith(path)
  )
}

function withQuery(path: string, query: string): string {
  return query === '' ? path : `${path}?${query}`
}

/** The server of a listener that answers a request (plaintext: the merged server; TLS: by SNI). */
export function serverFor(listener: CompiledListener, sni: string | undefined): CompiledServer | undefined {
  if (listener.protocol === 'HTTP') return listener.servers[0]
  return listener.selectServer(sni)
}

/**
 * Routes one request: listener by gateway port → (TLS) server by SNI → path normalization →
 * virtual host by authority (port stripped, lowercased) → `httpsRedirect` → the first matching
 * route → the decision. Pure: no I/O, no randomness (weighted choice is {@link pickDestination}).
 */
export function route(compiled: CompiledConfig, facts: RequestFacts): RouteDecision {
  const listener = compiled.listeners.get(facts.port)
  if (listener === undefined) return { kind: 'notFound', reason: 'no-listener', path: facts.path }
  const server = serverFor(listener, facts.sni)
  if (server === undefined || server.http === undefined) {
    return { kind: 'notFound', reason: 'no-server', path: facts.path }
  }
  const table = server.http
  const routeConfig = table.name
  const target = normalizeTarget(facts.path, compiled.pathPolicy)
  if (!target.ok) return { kind: 'reject', status: 400, reason: target.reason, routeConfig, path: facts.path }
  const path = target.path
  const query = target.query
  const matchedPath = sameAsTarget(facts.path, path, query) ? facts.path : withQuery(path, query)
  if (target.redirect === true) {
    return {
      kind: 'redirect',
      status: 307,
      location: matchedPath,
      headers: EMPTY_HEADER_OPS,
      routeConfig,
      path: matchedPath,
    }
  }
  const host = authorityHost(facts.authority)
  if (host === undefined) {
    return { kind: 'reject', status: 400, reason: 'malformed authority', routeConfig, path: matchedPath }
  }
  const vhost = table.findVirtualHost(host)
  if (vhost === undefined) {
    if (compiled.misdirectedStatus === 421 && listener.protocol !== 'HTTP') {
      for (const other of listener.servers) {
        if (other !== server && other.http?.findVirtualHost(host) !== undefined) {
          return {
            kind: 'reject',
            status: 421,
            reason: `authority ${host} is served by ${other.name}, not by the server chosen by SNI`,
            routeConfig,
            path: matchedPath,
          }
        }
      }
    }
    return { kind: 'notFound', reason: 'no-virtual-host', routeConfig, path: matchedPath }
  }
  const virtualHost = vhost.name
  if (vhost.requireTls && facts.scheme === 'http') {
    return {
      kind: 'redirect',
      status: 301,
      location: `https://${facts.authority}${matchedPath}`,
      headers: EMPTY_HEADER_OPS,
      routeConfig,
      virtualHost,
      path: matchedPath,
    }
  }
  const view = new RequestViewImpl(
    facts.scheme,
    facts.method,
    facts.authority,
    path,
    query,
    facts.headers,
    facts.claims,
  )
  const matched = vhost.matchRoute(view)
  if (matched === undefined)
    return { kind: 'notFound', reason: 'no-route', routeConfig, virtualHost, path: matchedPath }
  const action = matched.action
  switch (action.kind) {
    case 'route':
      return {
        kind: 'route',
        origin: matched.origin,
        forward: action.route,
        upstreamPath: upstreamPath(matched, action.route, path, query, matchedPath),
        upstreamAuthority: action.route.rewrite?.authority ?? facts.authority,
        routeConfig,
        virtualHost,
        path: matchedPath,
      }
    case 'redirect':
      return {
        kind: 'redirect',
        origin: matched.origin,
        status: action.redirect.status,
        location: redirectLocation(action.redirect, facts, path, query, matched),
        headers: action.redirect.headers,
        routeConfig,
        virtualHost,
        path: matchedPath,
      }
    case 'directResponse':
      return {
        kind: 'directResponse',
        origin: matched.origin,
        status: action.status,
        ...(action.body === undefined ? {} : { body: action.body }),
        headers: action.headers,
        routeConfig,
        virtualHost,
        path: matchedPath,
      }
  }
}

/**
 * The path sent upstream (with the query, which is never rewritten). `rewrite.uri` follows
 * Envoy's `prefix_rewrite`: for a prefix match it replaces the configured prefix string (so
 * `prefix: /strip` + `uri: /` turns `/strip/a` into `//a`); for exact and regex matches it
 * replaces the whole path; without a path matcher it replaces the leading `/`.
 * `uriRegexRewrite` is RE2 global replace on the path.
 */
export function upstreamPath(
  matched: CompiledRoute,
  forward: ForwardSpec,
  path: string,
  query: string,
  pathWithQuery?: string,
): string {
  const rewrite = forward.rewrite
  if (rewrite === undefined) return pathWithQuery ?? withQuery(path, query)
  if (rewrite.uriRegex !== undefined) {
    return withQuery(rewrite.uriRegex.regex.replaceAll(path, rewrite.uriRegex.substitution), query)
  }
  if (rewrite.uri === undefined) return withQuery(path, query)
  const uri = matched.uri
  if (uri === undefined) return withQuery(rewrite.uri + path.slice(1), query)
  if (uri.kind === 'prefix') return withQuery(rewrite.uri + path.slice(uri.value.length), query)
  return withQuery(rewrite.uri, query)
}

function defaultPort(scheme: string): string {
  return scheme === 'https' ? '443' : scheme === 'http' ? '80' : ''
}

function splitHostPort(authority: string): [string, string | undefined] {
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']')
    if (close !== -1 && authority.charCodeAt(close + 1) === 0x3a) {
      return [authority.slice(0, close + 1), authority.slice(close + 2)]
    }
    return [authority, undefined]
  }
  const colon = authority.lastIndexOf(':')
  if (colon === -1) return [authority, undefined]
  return [authority.slice(0, colon), authority.slice(colon + 1)]
}

/**
 * A redirect's `Location` (ISTIO-SEMANTICS §4.2, Envoy `newUri`): scheme from the redirect or the
 * request; host = `authority` or the request's Host as sent, whose port is kept unless a port is
 * set, the scheme changes away from that port's default, or it is the new scheme's default;
 * `port` / `derivePort: FROM_REQUEST_PORT` (the gateway port) add `:port` unless it is the
 * scheme's default; `uri` replaces the whole path, and the request's query is kept unless `uri`
 * carries its own; `prefixRewrite` replaces the matched prefix (`/foo` + `/` on `/foo/baz` ⇒ `//baz`).
 */
export function redirectLocation(
  spec: RedirectSpec,
  facts: RequestFacts,
  path: string,
  query: string,
  matched?: Pick<CompiledRoute, 'uri'>,
): string {
  const scheme = spec.scheme ?? facts.scheme
  let port: string | undefined
  if (spec.port !== undefined) port = String(spec.port)
  else if (spec.derivePort === 'FROM_REQUEST_PORT') port = String(facts.port)
  let host: string
  if (spec.authority !== undefined) {
    host = spec.authority
  } else {
    const [name, requestPort] = splitHostPort(facts.authority)
    host = facts.authority
    if (requestPort !== undefined) {
      const schemeChanged = scheme !== facts.scheme && requestPort === defaultPort(facts.scheme)
      if (port !== undefined || schemeChanged || requestPort === defaultPort(scheme)) host = name
    }
  }
  const portPart = port === undefined || port === defaultPort(scheme) ? '' : `:${port}`
  let target: string
  if (spec.prefixRewrite !== undefined && spec.uri === undefined) {
    const prefixLength =
      matched?.uri?.kind === 'prefix'
        ? matched.uri.value.length
        : matched?.uri === undefined
          ? 1
          : path.length
    target = withQuery(spec.prefixRewrite + path.slice(prefixLength), query)
  } else if (spec.uri === undefined) target = withQuery(path, query)
  else if (spec.uri.includes('?')) target = spec.uri
  else target = withQuery(spec.uri, query)
  return `${scheme}://${host}${portPart}${target}`
}

/**
 * Weighted choice for one request: `random01` in [0, 1) scaled onto the cumulative weights
 * (weight-0 destinations are never chosen). `undefined` when there is no destination with weight.
 */
export function pickDestination(
  forward: Pick<ForwardSpec, 'destinations' | 'cumulativeWeights'>,
  random01: number,
): WeightedDestination | undefined {
  const cumulative = forward.cumulativeWeights
  const n = cumulative.length
  if (n === 0) return undefined
  const total = cumulative[n - 1]!
  if (total <= 0) return undefined
  const point = random01 * total
  let lo = 0
  let hi = n - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (cumulative[mid]! > point) hi = mid
    else lo = mid + 1
  }
  return forward.destinations[lo]
}
