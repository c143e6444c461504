import type {
  CorsPolicy,
  Destination,
  HeaderOperations,
  Headers,
  HTTPFaultInjection,
  HTTPMatchRequest,
  HTTPRedirect,
  HTTPRetry,
  HTTPRewrite,
  HTTPRoute,
  HTTPRouteDestination,
  StringMatch,
  TCPRoute,
  TLSRoute,
  VirtualServiceResource,
} from '@portico/core'
import fc from 'fast-check'
import {
  baseDomain,
  cidr,
  dnsLabel,
  duration,
  durationSeconds,
  faultPercentage,
  fqdn,
  headerName,
  headerValue,
  labels,
  list,
  mirrorPercentage,
  namespaceName,
  networkingApiVersion,
  objectMeta,
  path,
  plainValue,
  portNumber,
  regex,
  type SizeOptions,
  sparseRecord,
  stringMatch,
  virtualServiceHosts,
} from './primitives.js'

/** What an HTTP route may refer to; `arbitraries.config` fills it from the rest of the config. */
export interface RouteContext extends SizeOptions {
  /** Destinations to route and mirror to (default: random hosts, subsets and ports). */
  readonly destination?: fc.Arbitrary<Destination>
  /** Port values a match may name (default: any port). */
  readonly ports?: readonly number[]
  /** Authorities a match may compare with (default: random names). */
  readonly authorities?: readonly string[]
  /** Also draw match fields a gateway cannot satisfy from a request alone (sourceLabels, gateways, sourceNamespace). */
  readonly meshFields?: boolean
  /** Most rules per VirtualService (default 4). */
  readonly maxRoutes?: number
  /** Most match entries per rule (default 3). */
  readonly maxMatches?: number
  /** Sometimes delegate a rule to another VirtualService instead of acting (root VirtualServices). */
  readonly delegates?: boolean
}

/** A destination with a random host (short name, FQDN or wildcard), subset and port. */
export const randomDestination: fc.Arbitrary<Destination> = fc.record(
  {
    host: fc.oneof(
      dnsLabel,
      fqdn,
      fqdn.map((h) => `*.${h}`),
      dnsLabel.map((s) => `${s}.default.svc.cluster.local`),
    ),
    subset: fc.oneof(fc.constantFrom('v1', 'v2', 'canary'), dnsLabel),
    port: fc.record({ number: portNumber }),
  },
  { requiredKeys: ['host'] },
)

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
const RETRY_ON = [
  '5xx',
  'gateway-error',
  'reset',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'cancelled',
  'deadline-exceeded',
  'unavailable',
  '503',
  '429',
] as const
const GRPC_CODES = ['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'INTERNAL', 'NOT_FOUND', 'PERMISSION_DENIED'] as const

function dictionary<T>(key: fc.Arbitrary<string>, value: fc.Arbitrary<T>, maxKeys: number) {
  return fc.dictionary(key, value, { minKeys: 1, maxKeys })
}

/** Header edits (never `host` / `:authority`, so the authority is set in one place at most). */
export const headerOperations: fc.Arbitrary<HeaderOperations> = fc
  .record(
    {
      set: dictionary(headerName, headerValue, 2),
      add: dictionary(headerName, headerValue, 2),
      remove: fc.uniqueArray(headerName, { minLength: 1, maxLength: 2 }),
    },
    { requiredKeys: [] },
  )
  .filter((ops) => Object.keys(ops).length > 0)

/** Request and response header edits. */
export const headersArbitrary: fc.Arbitrary<Headers> = fc
  .record({ request: headerOperations, response: headerOperations }, { requiredKeys: [] })
  .filter((h) => Object.keys(h).length > 0)

/** A uri `StringMatch` (exact, prefix including `''`, or a path regex). */
export const uriMatch: fc.Arbitrary<StringMatch> = fc.oneof(
  { weight: 3, arbitrary: path.map((prefix) => ({ prefix })) },
  { weight: 2, arbitrary: path.map((exact) => ({ exact })) },
  { weight: 2, arbitrary: regex({ path: true }).map((r) => ({ regex: r })) },
  { weight: 1, arbitrary: fc.constantFrom<StringMatch>({ prefix: '/' }, { prefix: '' }) },
)

function matchRequest(context: RouteContext): fc.Arbitrary<HTTPMatchRequest> {
  const authority =
    context.authorities !== undefined && context.authorities.length > 0
      ? fc.oneof(
          fc.constantFrom(...context.authorities).map((exact): StringMatch => ({ exact })),
          fc
            .constantFrom(...context.authorities)
            .filter((a) => a.length > 3)
            .map((a): StringMatch => ({ prefix: a.slice(0, Math.ceil(a.length / 2)) })),
        )
      : stringMatch(
          fqdn,
          baseDomain.map((d) => `[a-z]+\\.${d.replaceAll('.', '\\.')}`),
        )
  const port = context.ports === undefined ? portNumber : fc.constantFrom(...context.ports)
  const keys = {
    name: dnsLabel,
    method: fc.oneof(
      fc.constantFrom(...METHODS).map((exact): StringMatch => ({ exact })),
      fc.constant<StringMatch>({ regex: '^(GET|HEAD)$' }),
      fc.constant<StringMatch>({ prefix: 'P' }),
    ),
    scheme: fc.constantFrom<StringMatch>({ exact: 'http' }, { exact: 'https' }),
    authority,
    headers: dictionary(headerName, stringMatch(plainValue, regex(), { presence: true }), 2),
    withoutHeaders: dictionary(
      headerName,
      fc.oneof(
        { weight: 5, arbitrary: stringMatch(plainValue, regex(), { presence: true }) },
        // Istio accepts `regex: "*"` here as "header present".
        { weight: 1, arbitrary: fc.constant<StringMatch>({ regex: '*' }) },
      ),
      1,
    ),
    queryParams: dictionary(
      fc.constantFrom('user', 'debug', 'version', 'q', 'id'),
      stringMatch(plainValue, regex()),
      2,
    ),
    ignoreUriCase: fc.boolean(),
    port,
    sourceLabels: labels(2),
    gateways: fc.uniqueArray(dnsLabel, { minLength: 1, maxLength: 2 }),
    sourceNamespace: namespaceName,
  }
  return fc
    .tuple(fc.option(uriMatch, { nil: undefined, freq: 3 }), sparseRecord(keys, 3))
    .map(([uri, m]): HTTPMatchRequest => {
      const out: HTTPMatchRequest = { ...(uri === undefined ? {} : { uri }), ...m }
      // ignoreUriCase is meaningful (and emitted by users) only beside an exact/prefix uri.
      if (out.uri === undefined || out.uri.regex !== undefined) delete out.ignoreUriCase
      if (!context.meshFields) {
        delete out.sourceLabels
        delete out.gateways
        delete out.sourceNamespace
      }
      return out
    })
}

function routeDestinations(destination: fc.Arbitrary<Destination>, options: SizeOptions) {
  return list(
    fc.record(
      { destination, weight: fc.integer({ min: 0, max: 100 }), headers: headersArbitrary },
      { requiredKeys: ['destination'] },
    ),
    1,
    3,
    options,
  ).map((entries): HTTPRouteDestination[] => {
    if (entries.length === 1) return entries
    // With several destinations every weight is given and the total is positive.
    const weighted = entries.map((e, i) => ({ ...e, weight: e.weight ?? (i === 0 ? 50 : 0) }))
    if (weighted.every((e) => e.weight === 0)) weighted[0] = { ...weighted[0]!, weight: 1 }
    return weighted
  })
}

const rewriteArbitrary: fc.Arbitrary<HTTPRewrite> = fc.oneof(
  fc.record({ uri: fc.oneof(path, fc.constant('/')), authority: fqdn }, { requiredKeys: ['uri'] }),
  fc.record(
    {
      uriRegexRewrite: fc.record({
        match: regex({ path: true }).map((r) => r.replace(/^\(\?i\)/, '')),
        rewrite: fc.constantFrom('/', '/v2', '/\\1', '/api/\\1'),
      }),
      authority: fqdn,
    },
    { requiredKeys: ['uriRegexRewrite'] },
  ),
  fqdn.map((authority) => ({ authority })),
)

const retriesArbitrary: fc.Arbitrary<HTTPRetry> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ attempts: 0 }) },
  {
    weight: 4,
    arbitrary: fc.record(
      {
        attempts: fc.integer({ min: 1, max: 5 }),
        perTryTimeout: duration({ maxMs: 30_000 }),
        retryOn: fc
          .uniqueArray(fc.constantFrom(...RETRY_ON), { minLength: 1, maxLength: 3 })
          .map((r) => r.join(',')),
        retryRemoteLocalities: fc.boolean(),
        // Kept short: a gateway waits the back-off between attempts (up to 25 × the base over five
        // retries), and properties over served requests expect each answer within seconds.
        backoff: duration({ maxMs: 100 }),
      },
      { requiredKeys: ['attempts'] },
    ),
  },
)

const faultArbitrary: fc.Arbitrary<HTTPFaultInjection> = fc
  .record(
    {
      delay: fc.record(
        {
          fixedDelay: duration({ maxMs: 10_000 }),
          percent: fc.integer({ min: 0, max: 100 }),
          percentage: faultPercentage.map((value) => ({ value })),
        },
        { requiredKeys: ['fixedDelay'] },
      ),
      abort: fc
        .record(
          {
            status: fc.oneof(
              fc.integer({ min: 200, max: 599 }).map((httpStatus) => ({ httpStatus })),
              fc.constantFrom(...GRPC_CODES).map((grpcStatus) => ({ grpcStatus })),
            ),
            percentage: faultPercentage.map((value) => ({ value })),
          },
          { requiredKeys: ['status'] },
        )
        .map(({ status, percentage }) => ({ ...status, ...(percentage ? { percentage } : {}) })),
    },
    { requiredKeys: [] },
  )
  .filter((f) => f.delay !== undefined || f.abort !== undefined)

const corsArbitrary: fc.Arbitrary<CorsPolicy> = fc.record(
  {
    allowOrigins: fc.array(
      fc.oneof(
        fqdn.map((h): StringMatch => ({ exact: `https://${h}` })),
        fqdn.map((h): StringMatch => ({ prefix: `https://${h}` })),
        baseDomain.map((d): StringMatch => ({ regex: `https://[a-z]+\\.${d.replaceAll('.', '\\.')}` })),
      ),
      { minLength: 1, maxLength: 2 },
    ),
    allowMethods: fc.uniqueArray(
      fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', '*'),
      {
        minLength: 1,
        maxLength: 3,
      },
    ),
    allowHeaders: fc.uniqueArray(fc.oneof(headerName, fc.constant('*')), { minLength: 1, maxLength: 2 }),
    exposeHeaders: fc.uniqueArray(headerName, { minLength: 1, maxLength: 2 }),
    maxAge: durationSeconds,
    allowCredentials: fc.boolean(),
    unmatchedPreflights: fc.constantFrom('FORWARD' as const, 'IGNORE' as const),
  },
  { requiredKeys: ['allowOrigins'] },
)

function redirectArbitrary(prefixRewriteAllowed: boolean): fc.Arbitrary<HTTPRedirect> {
  return fc
    .record(
      {
        target: fc.oneof(
          path.map((uri) => ({ uri })),
          prefixRewriteAllowed
            ? fc.oneof(path, fc.constant('/')).map((prefixRewrite) => ({ prefixRewrite }))
            : path.map((uri) => ({ uri })),
        ),
        authority: fqdn,
        scheme: fc.constantFrom('http', 'https'),
        port: fc.oneof(
          portNumber.map((port) => ({ port })),
          fc
            .constantFrom('FROM_PROTOCOL_DEFAULT' as const, 'FROM_REQUEST_PORT' as const)
            .map((derivePort) => ({ derivePort })),
        ),
        redirectCode: fc.constantFrom(301, 302, 303, 307, 308),
      },
      { requiredKeys: [] },
    )
    .map(({ target, port, ...rest }): HTTPRedirect => ({ ...target, ...port, ...rest }))
    .filter(
      (r) =>
        r.uri !== undefined ||
        r.prefixRewrite !== undefined ||
        r.authority !== undefined ||
        r.scheme !== undefined ||
        r.port !== undefined ||
        r.derivePort !== undefined,
    )
}

/**
 * A valid `HTTPRoute`: matches (uri exact/prefix/regex with `ignoreUriCase`, method, scheme,
 * authority, headers, withoutHeaders, queryParams, port), then one action, a weighted `route`
 * (with rewrite, timeout, retries, fault, mirror(s), CORS, header edits), a `redirect` or a
 * `directResponse`.
 */
export function httpRouteArbitrary(context: RouteContext = {}): fc.Arbitrary<HTTPRoute> {
  const destination = context.destination ?? randomDestination
  const matches = fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 6, arbitrary: list(matchRequest(context), 1, context.maxMatches ?? 3, context) },
  )
  const common = { name: dnsLabel, corsPolicy: corsArbitrary, headers: headersArbitrary }
  const forward = fc
    .tuple(
      routeDestinations(destination, context),
      sparseRecord(
        {
          ...common,
          rewrite: rewriteArbitrary,
          timeout: duration({ maxMs: 60_000 }),
          retries: retriesArbitrary,
          fault: faultArbitrary,
          mirrors: fc.oneof(
            destination.map((mirror) => ({ mirror })),
            fc
              .tuple(destination, mirrorPercentage)
              .map(([mirror, value]) => ({ mirror, mirrorPercentage: { value } })),
            // Deprecated (a warning), still accepted.
            fc
              .tuple(destination, fc.integer({ min: 0, max: 100 }))
              .map(([mirror, mirrorPercent]) => ({ mirror, mirrorPercent })),
            fc
              .array(
                fc.record(
                  { destination, percentage: mirrorPercentage.map((value) => ({ value })) },
                  { requiredKeys: ['destination'] },
                ),
                { minLength: 1, maxLength: 2 },
              )
              .map((mirrors) => ({ mirrors })),
          ),
        },
        4,
      ),
    )
    .chain(([route, { mirrors, ...rest }]) =>
      fc.integer({ min: 0, max: 7 }).chain((roll) => {
        const plain: Omit<HTTPRoute, 'match'> = { route, ...rest, ...(mirrors ?? {}) }
        if (roll !== 0 || rest.rewrite?.authority !== undefined) return fc.constant(plain)
        // The authority may be set once: here by a request header instead of a rewrite.
        return fc.tuple(fc.constantFrom('host', ':authority', 'Host'), fqdn).map(
          ([name, value]): Omit<HTTPRoute, 'match'> => ({
            ...plain,
            headers: {
              ...plain.headers,
              request: { ...plain.headers?.request, set: { ...plain.headers?.request?.set, [name]: value } },
            },
          }),
        )
      }),
    )
  const direct = fc
    .record(
      {
        ...common,
        directResponse: fc.record(
          {
            status: fc.oneof(
              fc.constantFrom(200, 204, 403, 404, 418, 503, 600),
              fc.integer({ min: 200, max: 599 }),
            ),
            body: fc.oneof(
              fc.string({ maxLength: 40 }).map((s) => ({ string: s })),
              fc.uint8Array({ maxLength: 24 }).map((b) => ({ bytes: Buffer.from(b).toString('base64') })),
            ),
          },
          { requiredKeys: ['status'] },
        ),
      },
      { requiredKeys: ['directResponse'] },
    )
    .map((r): Omit<HTTPRoute, 'match'> => r)
  return matches.chain((match) => {
    const prefixOnly = (match ?? []).every((m) => m.uri === undefined || m.uri.prefix !== undefined)
    const redirect = fc
      .record({ ...common, redirect: redirectArbitrary(prefixOnly) }, { requiredKeys: ['redirect'] })
      .map((r): Omit<HTTPRoute, 'match'> => r)
    const delegate = fc
      .record(
        {
          name: dnsLabel,
          delegate: fc.record({ name: dnsLabel, namespace: namespaceName }, { requiredKeys: ['name'] }),
        },
        { requiredKeys: ['delegate'] },
      )
      .map((r): Omit<HTTPRoute, 'match'> => r)
    return fc
      .oneof(
        { weight: 6, arbitrary: forward },
        { weight: 2, arbitrary: redirect },
        { weight: 1, arbitrary: direct },
        { weight: context.delegates ? 1 : 0, arbitrary: delegate },
      )
      .map(
        ({ name, ...rest }): HTTPRoute => ({
          ...(name === undefined ? {} : { name }),
          ...(match === undefined ? {} : { match }),
          ...rest,
        }),
      )
  })
}

/** TLS routes whose SNI hosts lie inside the VirtualService's hosts. */
function tlsRoutes(hosts: readonly string[], destination: fc.Arbitrary<Destination>, options: SizeOptions) {
  const sni = fc.constantFrom(...hosts).chain((h) => {
    if (h === '*') return fqdn
    if (h.startsWith('*.'))
      return fc.oneof(
        fc.constant(h),
        dnsLabel.map((l) => `${l}.${h.slice(2)}`),
      )
    return fc.constant(h)
  })
  const route: fc.Arbitrary<TLSRoute> = fc.record({
    match: fc.array(
      fc.record(
        { sniHosts: fc.uniqueArray(sni, { minLength: 1, maxLength: 2 }), port: portNumber },
        { requiredKeys: ['sniHosts'] },
      ),
      { minLength: 1, maxLength: 2 },
    ),
    route: fc.array(fc.record({ destination, weight: fc.integer({ min: 1, max: 100 }) }), {
      minLength: 1,
      maxLength: 2,
    }),
  })
  return list(route, 1, 2, options)
}

function tcpRoutes(destination: fc.Arbitrary<Destination>, options: SizeOptions) {
  const route: fc.Arbitrary<TCPRoute> = fc.record(
    {
      match: fc.array(
        fc.record(
          {
            port: portNumber,
            destinationSubnets: fc.array(cidr, { minLength: 1, maxLength: 2 }),
            sourceSubnet: cidr,
          },
          { requiredKeys: [] },
        ),
        { minLength: 1, maxLength: 2 },
      ),
      route: fc.array(fc.record({ destination, weight: fc.integer({ min: 1, max: 100 }) }), {
        minLength: 1,
        maxLength: 2,
      }),
    },
    { requiredKeys: ['route'] },
  )
  return list(route, 1, 2, options)
}

/** Options of `arbitraries.virtualService`. */
export interface VirtualServiceArbitraryOptions extends RouteContext {
  /** The VirtualService's namespace (default: drawn, sometimes absent). */
  readonly namespace?: string
}

/**
 * A valid `VirtualService`: non-overlapping hosts (FQDNs, wildcards, short names, `*` when bound
 * to gateways only), `gateways` by `name` / `ns/name` (with or without `mesh`), HTTP rules from
 * `arbitraries.httpRoute`, and sometimes TLS (SNI within the hosts) and TCP rules.
 */
export function virtualServiceArbitrary(
  options: VirtualServiceArbitraryOptions = {},
): fc.Arbitrary<VirtualServiceResource> {
  const destination = options.destination ?? randomDestination
  const gatewayRef = fc.oneof(
    dnsLabel,
    fc.tuple(namespaceName, dnsLabel).map(([ns, n]) => `${ns}/${n}`),
  )
  const binding = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        gateways: fc.uniqueArray(gatewayRef, { minLength: 1, maxLength: 2 }),
        star: fc.boolean(),
        mesh: fc.constant(false),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        gateways: fc.uniqueArray(gatewayRef, { maxLength: 1 }),
        star: fc.constant(false),
        mesh: fc.constant(true),
      }),
    },
  )
  return fc
    .record({
      apiVersion: networkingApiVersion,
      metadata: objectMeta(options.namespace === undefined ? {} : { namespace: options.namespace }),
      binding,
      hosts: virtualServiceHosts(options),
      http: list(
        httpRouteArbitrary({ meshFields: true, delegates: true, ...options, destination }),
        1,
        options.maxRoutes ?? 4,
        options,
      ),
      delegateHttp: list(
        httpRouteArbitrary({ ...options, delegates: false, destination }),
        1,
        options.maxRoutes ?? 4,
        options,
      ),
      l4: fc.integer({ min: 0, max: 7 }),
      exportTo: fc.option(fc.constantFrom<string[]>(['.'], ['*'], ['prod']), { nil: undefined, freq: 4 }),
    })
    .chain(({ apiVersion, metadata, binding, hosts, http, delegateHttp, l4, exportTo }) => {
      if (l4 === 7) {
        // A delegate: no hosts, no gateways, HTTP rules only, none of which delegates further.
        return fc.constant<VirtualServiceResource>({
          apiVersion,
          kind: 'VirtualService',
          metadata,
          spec: { http: delegateHttp, ...(exportTo === undefined ? {} : { exportTo }) },
        })
      }
      const vsHosts = binding.star && !binding.mesh ? ['*'] : hosts
      const gateways = binding.mesh ? [...binding.gateways, 'mesh'] : binding.gateways
      const extra: fc.Arbitrary<Pick<VirtualServiceResource['spec'], 'tls' | 'tcp'>> =
        l4 === 0
          ? tlsRoutes(vsHosts, destination, options).map((tls) => ({ tls }))
          : l4 === 1
            ? tcpRoutes(destination, options).map((tcp) => ({ tcp }))
            : fc.constant({})
      return extra.map(
        (routes): VirtualServiceResource => ({
          apiVersion,
          kind: 'VirtualService',
          metadata,
          spec: {
            hosts: vsHosts,
            ...(gateways.length === 0 ? {} : { gateways }),
            http,
            ...routes,
            ...(exportTo === undefined ? {} : { exportTo }),
          },
        }),
      )
    })
}
