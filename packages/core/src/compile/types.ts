import type { Diagnostic, ResourceRef, SourceLocation } from '../diagnostics/diagnostic.js'
import type { CompiledPolicies } from '../policy/types.js'
import type { GatewayApiStatus } from './gateway-api-status.js'
import type { CompiledRegex } from './regex.js'

/**
 * Istio's `meshConfig.pathNormalization` modes. `BASE` (Istio's `DEFAULT`) is Envoy's
 * `normalize_path: true`; `MERGE_SLASHES` adds `merge_slashes`; `DECODE_AND_MERGE_SLASHES` also
 * decodes `%2F`/`%5C` before normalizing (Envoy `UNESCAPE_AND_FORWARD`).
 */
export type PathNormalization = 'NONE' | 'BASE' | 'MERGE_SLASHES' | 'DECODE_AND_MERGE_SLASHES'

/** Envoy's `path_with_escaped_slashes_action` for `%2F`/`%5C` (case-insensitive). */
export type EscapedSlashesAction =
  | 'KEEP_UNCHANGED'
  | 'REJECT_REQUEST'
  | 'UNESCAPE_AND_FORWARD'
  | 'UNESCAPE_AND_REDIRECT'

/** How a request target is normalized before routing. */
export interface PathPolicy {
  /** Default `BASE`, as Istio. */
  readonly normalization?: PathNormalization
  /**
   * Default `KEEP_UNCHANGED` (`UNESCAPE_AND_FORWARD` under `DECODE_AND_MERGE_SLASHES`, which
   * implies it).
   */
  readonly escapedSlashes?: EscapedSlashesAction
  /**
   * A `#fragment` in the target: `strip` (Istio's default, `HTTP_STRIP_FRAGMENT_FROM_PATH_UNSAFE_IF_DISABLED`)
   * or `reject` (Envoy's own default, 400).
   */
  readonly fragment?: 'strip' | 'reject'
}

/**
 * The compiled form of a snapshot: what a gateway process serves. Immutable once built;
 * the server reads it once per request, so swapping it never tears a request.
 */
export interface CompiledConfig {
  /** Version of the snapshot it was compiled from. */
  readonly version: number
  /** One listener per gateway port (the Gateway's `port.number`, not the process's listen port). */
  readonly listeners: ReadonlyMap<number, CompiledListener>
  /** Upstream clusters by Envoy-style name, e.g. `outbound|8000||httpbin.default.svc.cluster.local`. */
  readonly clusters: ReadonlyMap<string, Cluster>
  /** Findings of compilation (skipped servers, unresolvable ports…); never errors of user input. */
  readonly diagnostics: readonly Diagnostic[]
  /** How request targets are normalized before routing (default: Istio's `BASE`). */
  readonly pathPolicy?: PathPolicy
  /**
   * Answer for a TLS request whose authority belongs to another server of the port than the
   * SNI-chosen one: 404 (Istio/Envoy, the default) or 421 Misdirected Request (RFC 9110 §15.5.20).
   */
  readonly misdirectedStatus?: 404 | 421
  /** Status conditions of the Gateway API Gateways and routes (present when the config has any). */
  readonly gatewayApi?: GatewayApiStatus
  /**
   * The RequestAuthentications and AuthorizationPolicies that reach this gateway, compiled;
   * absent when none does (requests then skip authentication and authorization entirely).
   */
  readonly policies?: CompiledPolicies
}

/** `HTTP` covers HTTP, HTTP2, GRPC and GRPC-WEB servers (served by one HTTP codec, h1 or h2). */
export type ListenerProtocol = 'HTTP' | 'HTTPS' | 'TLS' | 'TCP'

/** All servers that share one gateway port. */
export interface CompiledListener {
  /** Envoy-style id: `http.80`, `https.443`, `tcp.31400`. */
  readonly name: string
  readonly port: number
  /** `HTTP` for plaintext HTTP; `HTTPS`/`TLS` when the port carries TLS servers; `TCP` for plain TCP. */
  readonly protocol: ListenerProtocol
  /** Bind address from `Server.bind`, if any. */
  readonly bind?: string
  /** Listen port from the compile option `portMap`, when it maps this gateway port. */
  readonly listenPort?: number
  /** Whether plaintext HTTP servers on this port accept HTTP/2 prior knowledge (h2c): HTTP2 / GRPC servers. */
  readonly h2c: boolean
  /** Servers in precedence order. For a plaintext HTTP port: exactly one merged server (`http.<port>`). */
  readonly servers: readonly CompiledServer[]
  /**
   * TLS ports: choose the server for a ClientHello's SNI (exact host, then longest wildcard, then `*`).
   * `undefined` means the handshake must fail (unknown SNI, or no SNI and no `*` server).
   */
  selectServer(sni: string | undefined): CompiledServer | undefined
}

/** One filter chain: a server (or, for plaintext HTTP, the merge of all servers on the port). */
export interface CompiledServer {
  /** Route config name: `http.80`, or `https.443.<portName>.<gateway>.<namespace>`. */
  readonly name: string
  /** Gateways that contributed this server. */
  readonly gateways: readonly ResourceRef[]
  /** Server hosts without the `ns/` part, lowercased (the SNI names for TLS). */
  readonly hosts: readonly string[]
  /** `Server.port.protocol` as written (uppercased). */
  readonly protocol: string
  /** Termination settings; absent for plaintext servers. */
  readonly tls?: ServerTls
  /** Plaintext server with `tls.httpsRedirect`: every request gets a 301 to https. */
  readonly httpsRedirect: boolean
  /** HTTP route table (HTTP/HTTPS servers, and TLS servers terminated into HTTP). */
  readonly http?: RouteTable
  /** TLS passthrough: SNI → destinations (`tls` routes of bound VirtualServices). */
  readonly passthrough?: readonly TlsRouteEntry[]
  /** TCP proxying (TCP servers, or TLS servers terminated into TCP): the first matching `tcp` route. */
  readonly tcp?: TcpRouteEntry
  /** Where the server was declared. */
  readonly source?: SourceLocation
}

/** TLS termination settings of one server, with certificate sources left unread (the server reads them). */
export interface ServerTls {
  readonly mode: 'SIMPLE' | 'MUTUAL' | 'OPTIONAL_MUTUAL' | 'PASSTHROUGH' | 'AUTO_PASSTHROUGH' | 'ISTIO_MUTUAL'
  /** Certificate/key/CA as file paths or as PEM text from a TLS Secret (`credentialName`). */
  readonly certificate?: PemSource
  readonly privateKey?: PemSource
  readonly caCertificates?: PemSource
  /** `credentialName` as written, for messages. */
  readonly credentialName?: string
  readonly subjectAltNames: readonly string[]
  /** Node names: `TLSv1.2` / `TLSv1.3` (defaults: min TLSv1.2). */
  readonly minVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'
  readonly maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'
  /** OpenSSL cipher list to use, already filtered; absent = Portico's default (Envoy's list). */
  readonly cipherSuites?: readonly string[]
}

/** A PEM either on disk (read and watched by the server) or inline (from a Secret). */
export type PemSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'inline'; readonly pem: string; readonly secret: ResourceRef }

/** The HTTP routing of one server: virtual hosts chosen by Host/:authority. */
export interface RouteTable {
  readonly name: string
  /** Virtual hosts in declaration order (for describing); lookup goes through `findVirtualHost`. */
  readonly virtualHosts: readonly VirtualHost[]
  /** Exact map, then wildcard suffixes longest first, then `*`; `host` is already lowercased, port stripped. */
  findVirtualHost(host: string): VirtualHost | undefined
}

/** One domain set of a route table, with its ordered routes. */
export interface VirtualHost {
  /** `httpbin.example.com:80`-style name. */
  readonly name: string
  readonly domains: readonly string[]
  /** In order; first match wins. One entry per `match` element of each HTTPRoute. */
  readonly routes: readonly CompiledRoute[]
  /** Set by a server's `httpsRedirect`: answer 301 to https before route matching. */
  readonly requireTls: boolean
  /**
   * The first route that accepts the request, in `routes` order (an index over literal
   * exact/prefix paths narrows the candidates; order stays first-match).
   */
  matchRoute(request: RequestView): CompiledRoute | undefined
}

/** Where a route came from: the question "which rule matched?" answered. */
export interface RouteOrigin {
  readonly virtualService: ResourceRef
  /** Index in `spec.http` (or `tls` / `tcp`). */
  readonly routeIndex: number
  /** Index in that route's `match`, if it has one. */
  readonly matchIndex?: number
  /** `HTTPRoute.name` (and match `name`, joined as Istio does: `route.match`). */
  readonly name?: string
  readonly source?: SourceLocation
}

/** A route with its precompiled matcher and its action. */
export interface CompiledRoute {
  readonly origin: RouteOrigin
  /** A readable form of the match, as `portico routes` prints it, e.g. `prefix /status`. */
  readonly matchDescription: string
  /** Precompiled: true when this route accepts the request. */
  matches(request: RequestView): boolean
  readonly action: RouteActionSpec
  /** The route's path matcher, if any (drives the route index and prefix rewrites). */
  readonly uri?: UriMatch
  /** Istio's catch-all test (`prefix: /`, regex `.*` or no path matcher, and nothing else). */
  readonly catchAll: boolean
  /** True when the path matcher is the route's only condition (an index hit on it is a match). */
  readonly pathOnly?: boolean
}

/** The path part of a route's match. */
export interface UriMatch {
  readonly kind: 'exact' | 'prefix' | 'regex'
  /** The literal or the RE2 pattern. */
  readonly value: string
  /** `ignoreUriCase` (exact/prefix only). */
  readonly ignoreCase: boolean
}

/** What the router gives a matcher: already split and normalized, computed once per request. */
export interface RequestView {
  readonly scheme: 'http' | 'https'
  readonly method: string
  /** Host/:authority as received, port included. */
  readonly authority: string
  /** Normalized path without the query. */
  readonly path: string
  /** Query string without `?` ('' when none). */
  readonly query: string
  /** Header values by lowercase name; several values already joined with `,`. */
  header(name: string): string | undefined
  /** First value of a query parameter (parsed lazily, once). */
  queryParam(name: string): string | undefined
  /** The payload of the JWT the gateway verified for this request (claim routing); absent without one. */
  readonly claims?: Readonly<Record<string, unknown>> | undefined
}

/** The compiled action of a route (static parts; per-request parts are computed by `route()`). */
export type RouteActionSpec =
  | { readonly kind: 'route'; readonly route: ForwardSpec }
  | { readonly kind: 'redirect'; readonly redirect: RedirectSpec }
  | {
      readonly kind: 'directResponse'
      readonly status: number
      readonly body?: Uint8Array
      readonly headers: HeaderOps
    }

/** Forwarding: destinations and the filters on the way. */
export interface ForwardSpec {
  readonly destinations: readonly WeightedDestination[]
  /** Cumulative weights aligned with `destinations`, for one random draw per request. */
  readonly cumulativeWeights: readonly number[]
  readonly rewrite?: RewriteSpec
  readonly headers: HeaderOps
  /** Route timeout in ms; `undefined` = none (Istio's default). */
  readonly timeoutMs?: number
  readonly retries: RetryPolicy
  readonly fault?: FaultSpec
  readonly mirrors: readonly MirrorSpec[]
  readonly cors?: CorsSpec
}

/** One destination of a route, resolved to its cluster name (the cluster may not exist: 503 NC). */
export interface WeightedDestination {
  readonly host: string
  readonly port?: number
  readonly subset?: string
  readonly weight: number
  /** `outbound|<port>|<subset>|<fqdn>`. */
  readonly clusterName: string
  /** Destination-level header operations (applied when this destination is chosen). */
  readonly headers: HeaderOps
  /**
   * A Gateway API backendRef that does not resolve (not permitted, unknown kind, missing
   * Service): the requests it is chosen for are answered 500, as the spec says.
   */
  readonly invalid?: true
}

/** Request and response header operations, names lowercased, removals applied before set/add. */
export interface HeaderOps {
  readonly request: HeaderOpSet
  readonly response: HeaderOpSet
}
/** One direction's header operations: `set` overwrites, `add` appends, `remove` deletes. */
export interface HeaderOpSet {
  readonly set: readonly (readonly [string, string])[]
  readonly add: readonly (readonly [string, string])[]
  readonly remove: readonly string[]
}

/** `HTTPRewrite`, compiled: path rewrite (prefix or RE2) and authority rewrite. */
export interface RewriteSpec {
  /** Replace the matched prefix (or whole path for exact/regex matches) with this. */
  readonly uri?: string
  readonly uriRegex?: {
    readonly match: string
    readonly rewrite: string
    /** Compiled once. */
    readonly regex: CompiledRegex
    /** `rewrite` with `\\N` translated for `CompiledRegex.replaceAll`. */
    readonly substitution: string
  }
  readonly authority?: string
}

/** `HTTPRedirect`, compiled; `route()` turns it into a `Location` (ISTIO-SEMANTICS §4.2). */
export interface RedirectSpec {
  readonly uri?: string
  readonly authority?: string
  readonly port?: number
  readonly derivePort?: 'FROM_PROTOCOL_DEFAULT' | 'FROM_REQUEST_PORT'
  readonly scheme?: string
  /** Replaces the matched prefix only (validation allows it on prefix matches only); query kept. */
  readonly prefixRewrite?: string
  readonly status: 301 | 302 | 303 | 307 | 308
  readonly headers: HeaderOps
}

/** Retries of a route (Istio's default policy when the route sets none). */
export interface RetryPolicy {
  /** Additional attempts after the first (0 = no retries). */
  readonly attempts: number
  readonly perTryTimeoutMs?: number
  /** Envoy retry-on tokens, e.g. `connect-failure`, `5xx`, `gateway-error`. */
  readonly retryOn: readonly string[]
  readonly retriableStatusCodes: readonly number[]
  /** True when the route set no `retries` (Istio's default policy applies). */
  readonly isDefault: boolean
  /**
   * Base interval of Envoy's jittered exponential back-off between attempts, from `retries.backoff`;
   * absent = Envoy's 25 ms. The cap is ten times the base.
   */
  readonly backoffBaseMs?: number
  /**
   * `retryIgnorePreviousHosts` as written; absent = Istio's default (a retry avoids the endpoints
   * already tried, except on a consistent-hash cluster).
   */
  readonly ignorePreviousHosts?: boolean
}

/** Fault injection; percentages 0..100 (absent in the resource = 0: nothing injected). */
export interface FaultSpec {
  readonly delay?: { readonly ms: number; readonly percent: number }
  readonly abort?: { readonly status: number; readonly percent: number }
}

/** One mirror (shadow) destination with its percentage. */
export interface MirrorSpec {
  readonly clusterName: string
  readonly host: string
  readonly port?: number
  readonly subset?: string
  /** 0..100. */
  readonly percent: number
}

/** `CorsPolicy`, compiled (Envoy's CORS filter semantics). */
export interface CorsSpec {
  /** Precompiled origin test (StringMatch list, or the literal `*`). */
  allowsOrigin(origin: string): boolean
  readonly allowMethods?: string
  readonly allowHeaders?: string
  readonly exposeHeaders?: string
  readonly maxAgeSeconds?: number
  readonly allowCredentials: boolean
  /** FORWARD (default) sends non-matching preflights upstream; IGNORE answers them locally. */
  readonly unmatchedPreflights: 'FORWARD' | 'IGNORE'
}

/** TLS passthrough entry: SNI hosts → destinations. */
export interface TlsRouteEntry {
  readonly origin: RouteOrigin
  readonly sniHosts: readonly string[]
  readonly destinations: readonly WeightedDestination[]
  readonly cumulativeWeights: readonly number[]
}

/** TCP proxy entry. */
export interface TcpRouteEntry {
  readonly origin: RouteOrigin
  readonly destinations: readonly WeightedDestination[]
  readonly cumulativeWeights: readonly number[]
}

/** An upstream: a service host and port, optionally narrowed to a subset. */
export interface Cluster {
  readonly name: string
  readonly host: string
  readonly port: number
  readonly subset?: string
  /** `HTTP`, `HTTP2`, `GRPC`, `HTTPS`, `TCP`, `TLS`… from the ServiceEntry port. */
  readonly protocol: string
  readonly resolution: 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN' | 'NONE' | 'REGISTRY'
  /** Endpoints after subset selection (empty: 503 UH). */
  readonly endpoints: readonly Endpoint[]
  readonly trafficPolicy: ClusterPolicy
}

/** One upstream address of a cluster. */
export interface Endpoint {
  /** IP or DNS name. */
  readonly address: string
  readonly port: number
  readonly labels: Readonly<Record<string, string>>
  readonly weight: number
}

/** Traffic policy resolved for one cluster (subset policy over top level; port-level over both). */
export interface ClusterPolicy {
  readonly loadBalancer:
    | { readonly kind: 'LEAST_REQUEST' | 'ROUND_ROBIN' | 'RANDOM' | 'PASSTHROUGH' }
    | {
        readonly kind: 'CONSISTENT_HASH'
        readonly key:
          | { readonly header: string }
          | { readonly cookie: string; readonly path?: string; readonly ttlMs?: number }
          | { readonly sourceIp: true }
          | { readonly queryParameter: string }
      }
  readonly connectTimeoutMs: number
  /** Envoy circuit breaker `max_connections`: open connections to the whole cluster. */
  readonly maxConnections?: number
  /** Envoy `max_pending_requests` (`http1MaxPendingRequests`): requests waiting for a connection. */
  readonly maxPendingRequests?: number
  readonly maxRequestsPerConnection?: number
  /** Envoy `max_requests` (`http2MaxRequests`, HTTP/1.1 too): requests in flight to the cluster. */
  readonly maxRequests?: number
  /** Envoy `max_retries` (`maxRetries`): retries outstanding to the cluster at once. */
  readonly maxRetries?: number
  readonly idleTimeoutMs?: number
  readonly outlierDetection?: {
    readonly consecutive5xxErrors: number
    readonly consecutiveGatewayErrors?: number
    readonly intervalMs: number
    readonly baseEjectionTimeMs: number
    readonly maxEjectionPercent: number
  }
  /** Upstream TLS origination (DestinationRule `tls`). */
  readonly tls?: {
    readonly mode: 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL'
    readonly sni?: string
    readonly subjectAltNames: readonly string[]
    readonly insecureSkipVerify: boolean
    readonly caCertificates?: PemSource
    readonly clientCertificate?: PemSource
    readonly privateKey?: PemSource
  }
}

/** The facts of one request, as the server sees them. */
export interface RequestFacts {
  /** Gateway port (80, 443), not the process's listen port. */
  readonly port: number
  /** SNI of the TLS connection; the server was chosen by it. */
  readonly sni?: string
  readonly scheme: 'http' | 'https'
  readonly method: string
  /** Host (HTTP/1.1) or :authority (HTTP/2) as received. */
  readonly authority: string
  /** Request target as received (origin-form path with query). */
  readonly path: string
  /** Lowercase header names; arrays for repeated headers. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>
  readonly sourceAddress?: string
  /** Claims of the JWT verified by authentication (only those: clients cannot send claims). */
  readonly claims?: Readonly<Record<string, unknown>> | undefined
}

/** Why a request got Envoy's 404 NR. */
export type NotFoundReason = 'no-listener' | 'no-server' | 'no-virtual-host' | 'no-route'

/** Everything `route()` decides; pure data, computed without I/O. */
export type RouteDecision =
  | ForwardDecision
  | RedirectDecision
  | DirectResponseDecision
  | NotFoundDecision
  | RejectDecision

interface DecisionBase {
  /** Route config that answered (`http.80`, `https.443.https.httpbin-gateway.default`). */
  readonly routeConfig?: string
  readonly virtualHost?: string
  /** Normalized path with query: what was matched. */
  readonly path: string
}

/** Forward to a destination of `forward` (chosen with `pickDestination`). */
export interface ForwardDecision extends DecisionBase {
  readonly kind: 'route'
  readonly origin: RouteOrigin
  readonly forward: ForwardSpec
  /** Path (with query) to send upstream, after rewrite. */
  readonly upstreamPath: string
  /** Host header to send upstream (authority rewrite or the original). */
  readonly upstreamAuthority: string
}

/** Answer with a redirect (route `redirect`, `httpsRedirect`, or an escaped-slash redirect). */
export interface RedirectDecision extends DecisionBase {
  readonly kind: 'redirect'
  readonly origin?: RouteOrigin
  readonly status: number
  readonly location: string
  readonly headers: HeaderOps
}

/** Answer with a fixed response (`directResponse`). */
export interface DirectResponseDecision extends DecisionBase {
  readonly kind: 'directResponse'
  readonly origin: RouteOrigin
  readonly status: number
  readonly body?: Uint8Array
  readonly headers: HeaderOps
}

/** Envoy's 404 NR (empty body), with the step that found nothing. */
export interface NotFoundDecision extends DecisionBase {
  readonly kind: 'notFound'
  readonly reason: NotFoundReason
}

/** A request the gateway refuses before routing (bad authority → 400, misdirected → 421, bad path → 400). */
export interface RejectDecision extends DecisionBase {
  readonly kind: 'reject'
  readonly status: 400 | 421
  readonly reason: string
}
