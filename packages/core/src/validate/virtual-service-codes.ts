/**
 * Diagnostic codes of the VirtualService rules (range PTC2300–2599), one per Istio rule, plus
 * Istio's own analyzer codes for the two findings its webhook reports as warnings.
 * `docs/errors.md` lists each of them.
 */
export const VS_CODES = {
  /** `http, tcp or tls must be provided in virtual service`. */
  noRoutes: 'PTC2300',
  /** A delegate VirtualService (no `hosts`) with `gateways`, `tls` or `tcp`. */
  delegateShape: 'PTC2301',
  /** A `hosts` entry that is neither a (wildcard) domain nor an IP address. */
  invalidHost: 'PTC2302',
  /** Host `*` on a VirtualService that applies to the mesh. */
  wildcardMeshHost: 'PTC2303',
  /** Two `hosts` entries that overlap. */
  duplicateHost: 'PTC2304',
  /** A `gateways` entry (top level or in a match) that is not `mesh`, `name` or `ns/name`. */
  invalidGatewayName: 'PTC2305',
  /** A legacy `name.namespace` gateway reference (warning). */
  legacyGatewayName: 'PTC2306',
  /** JWT claim routing on a VirtualService that is not bound to a gateway only. */
  jwtClaimWithoutGateway: 'PTC2307',
  /** An invalid `exportTo` list. */
  invalidExportTo: 'PTC2308',
  /** A null entry in a list of rules or matches (programmatic resources only). */
  nullEntry: 'PTC2310',

  /** An HTTP route without `route`, `redirect` or `directResponse`. */
  missingAction: 'PTC2320',
  /** Two actions that exclude each other (route/redirect/directResponse/fault/rewrite). */
  conflictingActions: 'PTC2321',
  /** `mirror` and `mirrors` together. */
  mirrorAndMirrors: 'PTC2322',
  /** A root route (with `delegate`) that also has `route` or `redirect`. */
  rootRouteAction: 'PTC2323',
  /** A route of a delegate VirtualService that delegates again. */
  nestedDelegate: 'PTC2324',

  /** A `prefix: ""` string match (allowed for `uri` only). */
  emptyPrefix: 'PTC2330',
  /** A `regex: ""` string match. */
  emptyRegex: 'PTC2331',
  /** A regex that is too long or not valid RE2. */
  invalidRegex: 'PTC2332',
  /** A match header name that is empty or not an RFC 7230 token / pseudo header / JWT claim. */
  invalidMatchHeaderName: 'PTC2333',
  /** A `headers` match entry whose value is null. */
  nullHeaderMatch: 'PTC2334',
  /** A port (match, destination, redirect) outside 1..65535. */
  invalidPort: 'PTC2335',
  /** Invalid `sourceLabels` keys or values. */
  invalidSourceLabels: 'PTC2336',
  /** A `sourceNamespace` that is not a DNS-1123 label. */
  invalidSourceNamespace: 'PTC2338',

  /** A route destination without `destination`. */
  missingDestination: 'PTC2350',
  /** A destination host that is `*` or not a (wildcard) domain. */
  invalidDestinationHost: 'PTC2351',
  /** A destination subset that is not a DNS-1123 label. */
  invalidSubset: 'PTC2352',
  /** A negative destination weight. */
  negativeWeight: 'PTC2354',
  /** Several destinations whose weights add up to 0. */
  zeroTotalWeight: 'PTC2355',

  /** A header operation name that is empty, a pseudo header or `Host` where not allowed. */
  invalidHeaderOperationName: 'PTC2360',
  /** A header value with control characters or a malformed `%` expression. */
  invalidHeaderValue: 'PTC2361',
  /** The authority rewritten in more than one place. */
  authorityTwice: 'PTC2362',

  /** A redirect that changes nothing. */
  emptyRedirect: 'PTC2370',
  /** A redirect code outside 300..399. */
  invalidRedirectCode: 'PTC2371',
  /** A redirect scheme other than `http` / `https`. */
  invalidRedirectScheme: 'PTC2372',
  /** Redirect `uri` together with `prefixRewrite`. */
  redirectUriAndPrefix: 'PTC2374',
  /** Redirect `prefixRewrite` on a route whose URI matches are not all prefix matches. */
  redirectPrefixNeedsPrefixMatch: 'PTC2375',

  /** A rewrite that rewrites nothing. */
  emptyRewrite: 'PTC2380',
  /** Rewrite `uri` together with `uriRegexRewrite`. */
  rewriteUriAndRegex: 'PTC2381',
  /** `uriRegexRewrite` without `match` or `rewrite`. */
  incompleteRegexRewrite: 'PTC2382',

  /** A direct-response or abort HTTP status outside 200..600. */
  invalidHttpStatus: 'PTC2385',
  /** A direct-response body larger than 1 MiB. */
  bodyTooLarge: 'PTC2386',
  /** A direct-response body larger than 100 KiB (warning). */
  largeBody: 'PTC2387',

  /** Negative retry attempts. */
  negativeAttempts: 'PTC2390',
  /** Retry settings while `attempts` is 0 (retries disabled). */
  retriesDisabled: 'PTC2391',
  /** An unknown `retryOn` policy. */
  invalidRetryOn: 'PTC2392',
  /** A duration below 1ms or finer than milliseconds. */
  invalidDuration: 'PTC2395',

  /** A fault with neither `delay` nor `abort`. */
  emptyFault: 'PTC2400',
  /** An unknown gRPC status name. */
  invalidGrpcStatus: 'PTC2402',
  /** An `http2Error` abort. */
  http2AbortUnsupported: 'PTC2403',
  /** An abort without an error type (warning). */
  abortWithoutType: 'PTC2404',
  /** An `exponentialDelay`. */
  exponentialDelayUnsupported: 'PTC2405',
  /** A fault percentage that is neither 0 nor in [0.0001, 100]. */
  invalidFaultPercentage: 'PTC2406',

  /** A mirror percentage outside 0..100. */
  invalidMirrorPercentage: 'PTC2410',
  /** The deprecated `mirrorPercent` (warning). */
  deprecatedMirrorPercent: 'PTC2411',
  /** A null `mirrors` entry or one without `destination`. */
  invalidMirror: 'PTC2413',

  /** An empty CORS `allowOrigins` match. */
  invalidCorsOrigin: 'PTC2420',
  /** An unsupported CORS method. */
  invalidCorsMethod: 'PTC2421',
  /** An invalid CORS allow/expose header name. */
  invalidCorsHeader: 'PTC2422',
  /** A CORS `maxAge` with a fraction of a second. */
  corsMaxAgePrecision: 'PTC2423',

  /** A TLS route without `match`. */
  tlsWithoutMatch: 'PTC2440',
  /** A TLS match without `sniHosts`. */
  tlsWithoutSni: 'PTC2441',
  /** An SNI host that is neither a (wildcard) domain nor an IP address. */
  invalidSniHost: 'PTC2442',
  /** An SNI host outside every VirtualService host. */
  sniHostOutsideHosts: 'PTC2443',
  /** An IP address as SNI host (warning). */
  ipSniHost: 'PTC2444',
  /** A `destinationSubnets` entry that is neither an IP nor a CIDR block. */
  invalidSubnet: 'PTC2445',
  /** A TLS or TCP route without destinations. */
  l4WithoutRoute: 'PTC2447',

  /** Istio's VirtualServiceUnreachableRule (warning). */
  unreachableRule: 'IST0130',
  /** Istio's VirtualServiceIneffectiveMatch (warning). */
  ineffectiveMatch: 'IST0131',
} as const

/** One of the codes above. */
export type VirtualServiceCode = (typeof VS_CODES)[keyof typeof VS_CODES]
