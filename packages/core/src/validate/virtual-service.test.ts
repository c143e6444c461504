import { describe, expect, it } from 'vitest'
import type { Diagnostic } from '../diagnostics/diagnostic.js'
import type { VirtualServiceResource } from '../resources/index.js'
import { validateVirtualService } from './virtual-service.js'

type Spec = Record<string, unknown>

function resource(spec: Spec, namespace?: string): VirtualServiceResource {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: namespace === undefined ? { name: 'vs' } : { name: 'vs', namespace },
    spec,
  } as unknown as VirtualServiceResource
}

const dest = (host = 'httpbin', extra: Spec = {}): Spec => ({ destination: { host, ...extra } })
const forward: Spec = { route: [dest()] }

/** A gateway-bound VirtualService with one HTTP rule made of `forward` plus `rule`. */
function withRule(rule: Spec, top: Spec = {}): Spec {
  return { hosts: ['a.example.com'], gateways: ['gw'], http: [{ ...forward, ...rule }], ...top }
}

/** A gateway-bound VirtualService whose one HTTP rule is exactly `rule`. */
function onlyRule(rule: Spec, top: Spec = {}): Spec {
  return { hosts: ['a.example.com'], gateways: ['gw'], http: [rule], ...top }
}

function findings(spec: Spec, namespace?: string): string[] {
  return validateVirtualService(resource(spec, namespace)).map(
    (d) => `${d.severity === 'error' ? 'E' : 'W'} ${d.code} ${d.path}`,
  )
}

function messages(spec: Spec): string[] {
  return validateVirtualService(resource(spec)).map((d) => d.message)
}

const H = 'spec.http[0]'

/** [name, spec, expected `E|W code path` findings (order-insensitive)] */
const cases: [string, Spec, string[]][] = [
  // top level
  ['minimal gateway-bound VirtualService', withRule({}), []],
  ['no http, tcp or tls', { hosts: ['a.example.com'] }, ['E PTC2300 spec']],
  ['delegate without hosts is fine', { http: [forward] }, []],
  [
    'delegate with gateways, tls and tcp',
    {
      gateways: ['gw'],
      http: [forward],
      tls: [{ match: [{ sniHosts: ['a.example.com'] }], route: [dest()] }],
      tcp: [{ route: [dest()] }],
    },
    [
      'E PTC2301 spec.gateways',
      'E PTC2301 spec.tls',
      'E PTC2301 spec.tcp',
      'E PTC2443 spec.tls[0].match[0].sniHosts[0]',
    ],
  ],
  ['short host name', withRule({}, { hosts: ['reviews'] }), []],
  ['wildcard host', withRule({}, { hosts: ['*.example.com'] }), []],
  ['partial wildcard host is fine on a VirtualService', withRule({}, { hosts: ['*example.com'] }), []],
  ['IP host', withRule({}, { hosts: ['10.1.2.3'] }), []],
  ['IPv6 host', withRule({}, { hosts: ['::1'] }), []],
  ['host with port', withRule({}, { hosts: ['a.example.com:80'] }), ['E PTC2302 spec.hosts[0]']],
  ['host with inner wildcard', withRule({}, { hosts: ['a.*.com'] }), ['E PTC2302 spec.hosts[0]']],
  ['empty host', withRule({}, { hosts: [''] }), ['E PTC2302 spec.hosts[0]']],
  ['numeric top-level domain', withRule({}, { hosts: ['foo.123'] }), ['E PTC2302 spec.hosts[0]']],
  ['* host bound to a gateway', withRule({}, { hosts: ['*'] }), []],
  ['* host without gateways', withRule({}, { hosts: ['*'], gateways: [] }), ['E PTC2303 spec.hosts[0]']],
  [
    '* host bound to mesh and a gateway',
    withRule({}, { hosts: ['*'], gateways: ['mesh', 'gw'] }),
    ['E PTC2303 spec.hosts[0]'],
  ],
  [
    'duplicate hosts',
    withRule({}, { hosts: ['a.example.com', 'a.example.com'] }),
    ['E PTC2304 spec.hosts[1]'],
  ],
  [
    'wildcard host covering a later host',
    withRule({}, { hosts: ['*.example.com', 'api.example.com'] }),
    ['E PTC2304 spec.hosts[1]'],
  ],
  ['domain and its wildcard do not overlap', withRule({}, { hosts: ['example.com', '*.example.com'] }), []],
  ['hosts compare case-sensitively', withRule({}, { hosts: ['A.example.com', 'a.example.com'] }), []],
  [
    'no duplicate check once a host is invalid',
    withRule({}, { hosts: ['a_b.com', 'x.com', 'x.com'] }),
    ['E PTC2302 spec.hosts[0]'],
  ],
  ['gateway ns/name', withRule({}, { gateways: ['istio-system/gw'] }), []],
  ['gateway mesh', withRule({}, { gateways: ['mesh'] }), []],
  ['legacy gateway name.ns', withRule({}, { gateways: ['gw.istio-system'] }), ['W PTC2306 spec.gateways[0]']],
  ['gateway ns/*', withRule({}, { gateways: ['ns/*'] }), ['E PTC2305 spec.gateways[0]']],
  ['gateway */name', withRule({}, { gateways: ['*/gw'] }), ['E PTC2305 spec.gateways[0]']],
  [
    'gateway with empty namespace',
    withRule({}, { gateways: ['/gw'] }),
    ['E PTC2305 spec.gateways[0]', 'E PTC2305 spec.gateways[0]'],
  ],
  ['gateway a@b', withRule({}, { gateways: ['a@b'] }), ['E PTC2305 spec.gateways[0]']],
  [
    'gateway names after a plain name are not examined (as Istio)',
    withRule({}, { gateways: ['gw', 'ns/*'] }),
    [],
  ],
  [
    'JWT claim routing without gateways',
    withRule({ match: [{ headers: { '@request.auth.claims.group': { exact: 'a' } } }] }, { gateways: [] }),
    [`E PTC2307 ${H}.match[0].headers["@request.auth.claims.group"]`],
  ],
  [
    'JWT claim routing on a gateway',
    withRule({ match: [{ withoutHeaders: { '@request.auth.claims[group]': { exact: 'a' } } }] }),
    [],
  ],
  ['exportTo . and *', withRule({}, { exportTo: ['.'] }), []],
  ['exportTo ~', withRule({}, { exportTo: ['~'] }), ['E PTC2308 spec.exportTo']],
  ['exportTo bad label', withRule({}, { exportTo: ['a_b'] }), ['E PTC2308 spec.exportTo']],
  ['exportTo . and own namespace', withRule({}, { exportTo: ['.', 'default'] }), ['E PTC2308 spec.exportTo']],
  ['exportTo * with others', withRule({}, { exportTo: ['*', 'a'] }), ['E PTC2308 spec.exportTo']],

  // route shape
  ['redirect only', onlyRule({ redirect: { uri: '/x' } }), []],
  ['direct response only', onlyRule({ directResponse: { status: 404 } }), []],
  [
    'match and fault alone',
    onlyRule({ match: [{}], fault: { abort: { httpStatus: 500 } } }),
    ['E PTC2320 spec.http[0]'],
  ],
  [
    'redirect with route, fault and rewrite',
    withRule({ redirect: { uri: '/x' }, fault: { delay: { fixedDelay: '1s' } }, rewrite: { uri: '/y' } }),
    [`E PTC2321 ${H}.route`, `E PTC2321 ${H}.fault`, `E PTC2321 ${H}.rewrite`],
  ],
  [
    'redirect with direct response',
    onlyRule({ redirect: { uri: '/x' }, directResponse: { status: 200 } }),
    [`E PTC2321 ${H}.directResponse`],
  ],
  [
    'direct response with route, fault and rewrite',
    withRule({
      directResponse: { status: 200 },
      fault: { delay: { fixedDelay: '1s' } },
      rewrite: { uri: '/y' },
    }),
    [`E PTC2321 ${H}.route`, `E PTC2321 ${H}.fault`, `E PTC2321 ${H}.rewrite`],
  ],
  [
    'mirror and mirrors',
    withRule({ mirror: { host: 'm' }, mirrors: [{ destination: { host: 'm2' } }] }),
    [`E PTC2322 ${H}.mirrors`],
  ],
  ['root route with delegate only', onlyRule({ delegate: { name: 'child' } }), []],
  [
    'root route with route and redirect',
    withRule({ name: 'r', delegate: { name: 'child' }, redirect: { uri: '/x' } }),
    [`E PTC2323 ${H}.redirect`, `E PTC2323 ${H}.route`],
  ],
  [
    'delegate VirtualService route that delegates',
    { http: [{ ...forward, delegate: { name: 'x' } }] },
    [`E PTC2324 ${H}.delegate`],
  ],

  // matches
  ['empty match entry', withRule({ match: [{}] }), []],
  ['uri empty prefix', withRule({ match: [{ uri: { prefix: '' } }] }), []],
  ['uri empty regex', withRule({ match: [{ uri: { regex: '' } }] }), [`E PTC2331 ${H}.match[0].uri.regex`]],
  ['uri RE2 flags', withRule({ match: [{ uri: { regex: '(?i)^/api' } }] }), []],
  [
    'uri lookahead',
    withRule({ match: [{ uri: { regex: '^/a(?=b)' } }] }),
    [`E PTC2332 ${H}.match[0].uri.regex`],
  ],
  [
    'uri repeat over 1000',
    withRule({ match: [{ uri: { regex: '^/x{1001}' } }] }),
    [`E PTC2332 ${H}.match[0].uri.regex`],
  ],
  [
    'regex over 1024 characters',
    withRule({ match: [{ uri: { regex: 'a'.repeat(1025) } }] }),
    [`E PTC2332 ${H}.match[0].uri.regex`],
  ],
  [
    'method empty prefix',
    withRule({ match: [{ method: { prefix: '' } }] }),
    [`E PTC2330 ${H}.match[0].method.prefix`],
  ],
  [
    'scheme empty prefix',
    withRule({ match: [{ scheme: { prefix: '' } }] }),
    [`E PTC2330 ${H}.match[0].scheme.prefix`],
  ],
  [
    'authority bad regex',
    withRule({ match: [{ authority: { regex: '[a-' } }] }),
    [`E PTC2332 ${H}.match[0].authority.regex`],
  ],
  ['exact empty string is not checked', withRule({ match: [{ method: { exact: '' } }] }), []],
  [
    'query param empty prefix',
    withRule({ match: [{ queryParams: { q: { prefix: '' } } }] }),
    [`E PTC2330 ${H}.match[0].queryParams.q.prefix`],
  ],
  [
    'header names: upper case and pseudo header',
    withRule({ match: [{ headers: { 'X-User': { exact: 'a' }, ':authority': {} } }] }),
    [],
  ],
  [
    'header name with a space',
    withRule({ match: [{ headers: { 'x user': { exact: 'a' } } }] }),
    [`E PTC2333 ${H}.match[0].headers["x user"]`],
  ],
  [
    'header name empty',
    withRule({ match: [{ headers: { '': { exact: 'a' } } }] }),
    [`E PTC2333 ${H}.match[0].headers[""]`],
  ],
  [
    'header regex invalid',
    withRule({ match: [{ headers: { x: { regex: '(' } } }] }),
    [`E PTC2332 ${H}.match[0].headers.x.regex`],
  ],
  [
    'header match null',
    withRule({ match: [{ headers: { x: null } }] }),
    [`E PTC2334 ${H}.match[0].headers.x`],
  ],
  ['withoutHeaders regex *', withRule({ match: [{ withoutHeaders: { x: { regex: '*' } } }] }), []],
  [
    'withoutHeaders bad name and empty prefix',
    withRule({ match: [{ withoutHeaders: { 'a/b': { prefix: '' } } }] }),
    [`E PTC2333 ${H}.match[0].withoutHeaders["a/b"]`, `E PTC2330 ${H}.match[0].withoutHeaders["a/b"].prefix`],
  ],
  ['match port', withRule({ match: [{ port: 8080 }] }), []],
  ['match port out of range', withRule({ match: [{ port: 70000 }] }), [`E PTC2335 ${H}.match[0].port`]],
  ['sourceLabels', withRule({ match: [{ sourceLabels: { app: 'web', 'k8s.io/x': '' } }] }), []],
  [
    'sourceLabels bad key',
    withRule({ match: [{ sourceLabels: { 'bad key': 'v' } }] }),
    [`E PTC2336 ${H}.match[0].sourceLabels`],
  ],
  [
    'match gateways',
    withRule({ match: [{ gateways: ['ns/gw_x'] }] }),
    [`E PTC2305 ${H}.match[0].gateways[0]`],
  ],
  [
    'sourceNamespace',
    withRule({ match: [{ sourceNamespace: 'Not_A_Label' }] }),
    [`E PTC2338 ${H}.match[0].sourceNamespace`],
  ],

  // destinations
  [
    'weights 30 + 30',
    onlyRule({
      route: [
        { ...dest('a'), weight: 30 },
        { ...dest('b'), weight: 30 },
      ],
    }),
    [],
  ],
  [
    'weights 0 + 100',
    onlyRule({
      route: [
        { ...dest('a'), weight: 0 },
        { ...dest('b'), weight: 100 },
      ],
    }),
    [],
  ],
  [
    'weights 0 + 0',
    onlyRule({
      route: [
        { ...dest('a'), weight: 0 },
        { ...dest('b'), weight: 0 },
      ],
    }),
    [`E PTC2355 ${H}.route`],
  ],
  ['single weight 0', onlyRule({ route: [{ ...dest('a'), weight: 0 }] }), []],
  [
    'negative weight',
    onlyRule({
      route: [
        { ...dest('a'), weight: -1 },
        { ...dest('b'), weight: 2 },
      ],
    }),
    [`E PTC2354 ${H}.route[0].weight`],
  ],
  ['destination host *', onlyRule({ route: [dest('*')] }), [`E PTC2351 ${H}.route[0].destination.host`]],
  [
    'destination host with a scheme',
    onlyRule({ route: [dest('http://a.com')] }),
    [`E PTC2351 ${H}.route[0].destination.host`],
  ],
  [
    'destination host that is an IP address',
    onlyRule({ route: [dest('10.0.0.1')] }),
    [`E PTC2351 ${H}.route[0].destination.host`],
  ],
  [
    'destination FQDN with a trailing dot',
    onlyRule({ route: [dest('httpbin.default.svc.cluster.local.')] }),
    [],
  ],
  [
    'destination subset and port',
    onlyRule({ route: [dest('a', { subset: 'v1', port: { number: 8000 } })] }),
    [],
  ],
  [
    'destination subset v1.0',
    onlyRule({ route: [dest('a', { subset: 'v1.0' })] }),
    [`E PTC2352 ${H}.route[0].destination.subset`],
  ],
  [
    'destination port 0',
    onlyRule({ route: [dest('a', { port: {} })] }),
    [`E PTC2335 ${H}.route[0].destination.port.number`],
  ],
  [
    'route destination headers',
    onlyRule({ route: [{ ...dest(), headers: { response: { set: { host: 'x' } } } }] }),
    [`E PTC2360 ${H}.route[0].headers.response.set.host`],
  ],

  // header operations
  [
    'header operations that Istio accepts',
    withRule({
      headers: {
        request: {
          set: { 'x-a': '100%%', ':authority': 'b' },
          add: { 'x-b': '%REQ(x-id)%' },
          remove: ['x-c'],
        },
        response: { set: { 'x-d': '%HOSTNAME%' }, remove: ['x-e'] },
      },
    }),
    [],
  ],
  [
    'request set of a pseudo header',
    withRule({ headers: { request: { set: { ':path': '/x' } } } }),
    [`E PTC2360 ${H}.headers.request.set[":path"]`],
  ],
  [
    'request remove of Host',
    withRule({ headers: { request: { remove: ['Host'] } } }),
    [`E PTC2360 ${H}.headers.request.remove[0]`],
  ],
  [
    'response add of host',
    withRule({ headers: { response: { add: { host: 'x' } } } }),
    [`E PTC2360 ${H}.headers.response.add.host`],
  ],
  [
    'header value with a lone %',
    withRule({ headers: { response: { set: { 'x-a': '50%' } } } }),
    [`E PTC2361 ${H}.headers.response.set.x-a`],
  ],
  [
    'header value with a control character',
    withRule({ headers: { request: { add: { 'x-a': 'a\nb' } } } }),
    [`E PTC2361 ${H}.headers.request.add.x-a`],
  ],
  [
    'authority rewritten and set',
    withRule({ rewrite: { authority: 'a' }, headers: { request: { set: { host: 'b' } } } }),
    [`E PTC2362 ${H}.headers.request.set.host`],
  ],
  [
    'authority set twice',
    withRule({ headers: { request: { set: { ':authority': 'a' }, add: { Host: 'b' } } } }),
    [`E PTC2362 ${H}.headers.request.add.Host`],
  ],

  // redirect
  ['redirect scheme only', onlyRule({ redirect: { scheme: 'https' } }), []],
  ['redirect derivePort only', onlyRule({ redirect: { derivePort: 'FROM_REQUEST_PORT' } }), []],
  ['empty redirect', onlyRule({ redirect: {} }), [`E PTC2370 ${H}.redirect`]],
  [
    'redirect code 200',
    onlyRule({ redirect: { uri: '/x', redirectCode: 200 } }),
    [`E PTC2371 ${H}.redirect.redirectCode`],
  ],
  ['redirect code 308', onlyRule({ redirect: { uri: '/x', redirectCode: 308 } }), []],
  ['redirect scheme ftp', onlyRule({ redirect: { scheme: 'ftp' } }), [`E PTC2372 ${H}.redirect.scheme`]],
  ['redirect port 70000', onlyRule({ redirect: { port: 70000 } }), [`E PTC2335 ${H}.redirect.port`]],
  [
    'redirect uri and prefixRewrite',
    onlyRule({ redirect: { uri: '/a', prefixRewrite: '/b' } }),
    [`E PTC2374 ${H}.redirect.prefixRewrite`],
  ],
  [
    'redirect prefixRewrite with an exact match',
    onlyRule({ match: [{ uri: { exact: '/a' } }], redirect: { prefixRewrite: '/b' } }),
    [`E PTC2375 ${H}.redirect.prefixRewrite`],
  ],
  [
    'redirect prefixRewrite with prefix matches',
    onlyRule({ match: [{ uri: { prefix: '/a' } }, {}], redirect: { prefixRewrite: '/b' } }),
    [],
  ],

  // rewrite
  ['rewrite uri', withRule({ rewrite: { uri: '/' } }), []],
  ['empty rewrite', withRule({ rewrite: {} }), [`E PTC2380 ${H}.rewrite`]],
  [
    'rewrite uri and uriRegexRewrite',
    withRule({ rewrite: { uri: '/', uriRegexRewrite: { match: 'a', rewrite: 'b' } } }),
    [`E PTC2381 ${H}.rewrite.uriRegexRewrite`],
  ],
  [
    'uriRegexRewrite without rewrite',
    withRule({ rewrite: { uriRegexRewrite: { match: 'a' } } }),
    [`E PTC2382 ${H}.rewrite.uriRegexRewrite`],
  ],
  [
    'uriRegexRewrite with an invalid regex',
    withRule({ rewrite: { uriRegexRewrite: { match: '(?<=a)b', rewrite: 'c' } } }),
    [`E PTC2332 ${H}.rewrite.uriRegexRewrite.match`],
  ],
  [
    'redirect prefixRewrite with a presence-only uri match',
    onlyRule({ match: [{ uri: {} }], redirect: { prefixRewrite: '/b' } }),
    [`E PTC2375 ${H}.redirect.prefixRewrite`],
  ],
  [
    'uriRegexRewrite',
    withRule({ rewrite: { uriRegexRewrite: { match: '^/api(/|$)(.*)', rewrite: '/\\2' } } }),
    [],
  ],

  // direct response
  ['direct response 600 (accepted, as Istio)', onlyRule({ directResponse: { status: 600 } }), []],
  [
    'direct response 199',
    onlyRule({ directResponse: { status: 199 } }),
    [`E PTC2385 ${H}.directResponse.status`],
  ],
  [
    'direct response without status',
    onlyRule({ directResponse: {} }),
    [`E PTC2385 ${H}.directResponse.status`],
  ],
  [
    'direct response body over 100 KiB',
    onlyRule({ directResponse: { status: 200, body: { string: 'x'.repeat(100 * 1024 + 1) } } }),
    [`W PTC2387 ${H}.directResponse.body`],
  ],
  [
    'direct response bytes over 1 MiB',
    onlyRule({
      directResponse: { status: 200, body: { bytes: Buffer.alloc(1024 * 1024 + 1).toString('base64') } },
    }),
    [`E PTC2386 ${H}.directResponse.body`],
  ],

  // timeouts and retries
  ['timeout 1h30m', withRule({ timeout: '1h30m' }), []],
  ['timeout 0s', withRule({ timeout: '0s' }), [`E PTC2395 ${H}.timeout`]],
  ['timeout 1.5ms', withRule({ timeout: '1.5ms' }), [`E PTC2395 ${H}.timeout`]],
  [
    'retries',
    withRule({
      retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,503,retriable-4xx', backoff: '25ms' },
    }),
    [],
  ],
  ['negative attempts', withRule({ retries: { attempts: -1 } }), [`E PTC2390 ${H}.retries.attempts`]],
  [
    'attempts 0 with perTryTimeout',
    withRule({ retries: { attempts: 0, perTryTimeout: '2s' } }),
    [`E PTC2391 ${H}.retries.attempts`],
  ],
  ['attempts 0 alone', withRule({ retries: { attempts: 0 } }), []],
  [
    'retryOn with a space',
    withRule({ retries: { attempts: 2, retryOn: '5xx, reset' } }),
    [`E PTC2392 ${H}.retries.retryOn`],
  ],
  [
    'retryOn timeout and 999',
    withRule({ retries: { attempts: 2, retryOn: 'timeout,999' } }),
    [`E PTC2392 ${H}.retries.retryOn`, `E PTC2392 ${H}.retries.retryOn`],
  ],
  [
    'perTryTimeout 0s',
    withRule({ retries: { attempts: 2, perTryTimeout: '0s' } }),
    [`E PTC2395 ${H}.retries.perTryTimeout`],
  ],

  // fault
  ['fault delay', withRule({ fault: { delay: { fixedDelay: '5s', percentage: { value: 0.5 } } } }), []],
  ['empty fault', withRule({ fault: {} }), [`E PTC2400 ${H}.fault`]],
  ['abort grpc status', withRule({ fault: { abort: { grpcStatus: 'UNAVAILABLE' } } }), []],
  [
    'abort unknown grpc status',
    withRule({ fault: { abort: { grpcStatus: 'Unavailable' } } }),
    [`E PTC2402 ${H}.fault.abort.grpcStatus`],
  ],
  [
    'abort http status 700',
    withRule({ fault: { abort: { httpStatus: 700 } } }),
    [`E PTC2385 ${H}.fault.abort.httpStatus`],
  ],
  [
    'abort http2Error',
    withRule({ fault: { abort: { http2Error: 'X' } } }),
    [`E PTC2403 ${H}.fault.abort.http2Error`],
  ],
  ['abort without error type', withRule({ fault: { abort: {} } }), [`W PTC2404 ${H}.fault.abort`]],
  [
    'exponential delay',
    withRule({ fault: { delay: { exponentialDelay: '1s' } } }),
    [`E PTC2405 ${H}.fault.delay.exponentialDelay`],
  ],
  [
    'fault percentage below 0.0001',
    withRule({ fault: { abort: { httpStatus: 500, percentage: { value: 0.00001 } } } }),
    [`E PTC2406 ${H}.fault.abort.percentage.value`],
  ],
  [
    'fault percentage over 100',
    withRule({ fault: { delay: { fixedDelay: '1s', percentage: { value: 101 } } } }),
    [`E PTC2406 ${H}.fault.delay.percentage.value`],
  ],
  ['fault percentage 0', withRule({ fault: { delay: { fixedDelay: '1s', percentage: { value: 0 } } } }), []],

  // mirrors
  ['mirror with percentage', withRule({ mirror: { host: 'm' }, mirrorPercentage: { value: 50 } }), []],
  [
    'mirror percentage 150',
    withRule({ mirror: { host: 'm' }, mirrorPercentage: { value: 150 } }),
    [`E PTC2410 ${H}.mirrorPercentage.value`],
  ],
  [
    'mirrors percentage -1',
    withRule({ mirrors: [{ destination: { host: 'm' }, percentage: { value: -1 } }] }),
    [`E PTC2410 ${H}.mirrors[0].percentage.value`],
  ],
  [
    'deprecated mirrorPercent',
    withRule({ mirror: { host: 'm' }, mirrorPercent: 101 }),
    [`E PTC2410 ${H}.mirrorPercent`, `W PTC2411 ${H}.mirrorPercent`],
  ],
  ['mirror host *', withRule({ mirror: { host: '*' } }), [`E PTC2351 ${H}.mirror.host`]],
  [
    'mirrors entry without destination',
    withRule({ mirrors: [{}] }),
    [`E PTC2413 ${H}.mirrors[0].destination`],
  ],

  // CORS
  [
    'CORS policy Istio accepts',
    withRule({
      corsPolicy: {
        allowOrigins: [{ exact: 'https://a.com' }, { regex: 'https://.*\\.a\\.com' }],
        allowMethods: ['GET', 'POST', '*'],
        allowHeaders: ['*', 'X-Custom'],
        exposeHeaders: ['x-a'],
        maxAge: '24h',
      },
    }),
    [],
  ],
  [
    'CORS empty origin',
    withRule({ corsPolicy: { allowOrigins: [{ prefix: '' }] } }),
    [`E PTC2420 ${H}.corsPolicy.allowOrigins[0]`],
  ],
  [
    'CORS bad origin regex',
    withRule({ corsPolicy: { allowOrigins: [{ regex: '(' }] } }),
    [`E PTC2332 ${H}.corsPolicy.allowOrigins[0].regex`],
  ],
  [
    'CORS lower-case method',
    withRule({ corsPolicy: { allowMethods: ['get'] } }),
    [`E PTC2421 ${H}.corsPolicy.allowMethods[0]`],
  ],
  [
    'CORS header with a space',
    withRule({ corsPolicy: { exposeHeaders: ['x a'] } }),
    [`E PTC2422 ${H}.corsPolicy.exposeHeaders[0]`],
  ],
  [
    'CORS maxAge 1500ms',
    withRule({ corsPolicy: { maxAge: '1500ms' } }),
    [`E PTC2423 ${H}.corsPolicy.maxAge`],
  ],

  // TLS and TCP
  [
    'TLS route',
    {
      hosts: ['*.example.com'],
      gateways: ['gw'],
      tls: [{ match: [{ sniHosts: ['a.example.com'], port: 443 }], route: [dest()] }],
    },
    [],
  ],
  [
    'TLS route without match and route',
    { hosts: ['a.example.com'], gateways: ['gw'], tls: [{ match: [] }] },
    ['E PTC2440 spec.tls[0].match', 'E PTC2447 spec.tls[0].route'],
  ],
  [
    'TLS match without SNI hosts',
    { hosts: ['a.example.com'], gateways: ['gw'], tls: [{ match: [{ sniHosts: [] }], route: [dest()] }] },
    ['E PTC2441 spec.tls[0].match[0].sniHosts'],
  ],
  [
    'SNI host broader than the hosts',
    {
      hosts: ['a.example.com'],
      gateways: ['gw'],
      tls: [{ match: [{ sniHosts: ['*.example.com'] }], route: [dest()] }],
    },
    ['E PTC2443 spec.tls[0].match[0].sniHosts[0]'],
  ],
  [
    'SNI host that is not a domain',
    {
      hosts: ['a.example.com'],
      gateways: ['gw'],
      tls: [{ match: [{ sniHosts: ['a b'] }], route: [dest()] }],
    },
    ['E PTC2442 spec.tls[0].match[0].sniHosts[0]'],
  ],
  [
    'SNI host that is an IP',
    {
      hosts: ['a.example.com'],
      gateways: ['gw'],
      tls: [{ match: [{ sniHosts: ['10.0.0.1'] }], route: [dest()] }],
    },
    ['W PTC2444 spec.tls[0].match[0].sniHosts[0]'],
  ],
  [
    'auto-passthrough SNI host on a gateway',
    {
      hosts: ['outbound_.80_._.e2e.foobar.mesh'],
      gateways: ['gw'],
      tls: [{ match: [{ sniHosts: ['outbound_.80_._.e2e.foobar.mesh'] }], route: [dest()] }],
    },
    [],
  ],
  [
    'TLS match subnets, port, gateways',
    {
      hosts: ['a.example.com'],
      gateways: ['gw'],
      tls: [
        {
          match: [
            {
              sniHosts: ['a.example.com'],
              destinationSubnets: ['10.0.0.0/8', '10.0.0.300'],
              port: 0,
              gateways: ['x/y_z'],
            },
          ],
          route: [dest()],
        },
      ],
    },
    ['E PTC2445 spec.tls[0].match[0].destinationSubnets[1]', 'E PTC2305 spec.tls[0].match[0].gateways[0]'],
  ],
  [
    'TCP route',
    {
      hosts: ['a.example.com'],
      gateways: ['gw'],
      tcp: [{ match: [{ port: 27017 }], route: [dest('db', { port: { number: 27017 } })] }],
    },
    [],
  ],
  [
    'TCP route without route',
    {
      hosts: ['a.example.com'],
      gateways: ['gw'],
      tcp: [{ match: [{ port: 70000, destinationSubnets: ['1.2.3.4/40'] }] }],
    },
    [
      'E PTC2447 spec.tcp[0].route',
      'E PTC2335 spec.tcp[0].match[0].port',
      'E PTC2445 spec.tcp[0].match[0].destinationSubnets[0]',
    ],
  ],
  [
    'TCP destinations with zero total weight',
    {
      hosts: ['a.example.com'],
      gateways: ['gw'],
      tcp: [
        {
          route: [
            { ...dest('a'), weight: 0 },
            { ...dest('b'), weight: 0 },
          ],
        },
      ],
    },
    ['E PTC2355 spec.tcp[0].route'],
  ],

  // unreachable rules (warnings)
  [
    'rule after a catch-all',
    {
      hosts: ['a.example.com'],
      gateways: ['gw'],
      http: [forward, { ...forward, match: [{ uri: { prefix: '/a' } }] }],
    },
    ['W IST0130 spec.http[1]'],
  ],
  [
    'two catch-alls',
    { hosts: ['a.example.com'], gateways: ['gw'], http: [forward, forward] },
    ['W IST0130 spec.http[1]'],
  ],
  [
    'rule whose matches all repeat earlier ones',
    {
      hosts: ['a.example.com'],
      gateways: ['gw'],
      http: [
        { ...forward, match: [{ uri: { exact: '/a' } }] },
        { ...forward, match: [{ name: 'other', uri: { exact: '/a' } }] },
      ],
    },
    ['W IST0131 spec.http[1].match[0]', 'W IST0130 spec.http[1]'],
  ],
  [
    'longer prefix after a shorter one',
    {
      hosts: ['a.example.com'],
      gateways: ['gw'],
      http: [
        { ...forward, match: [{ uri: { prefix: '/debug' } }] },
        { ...forward, match: [{ uri: { prefix: '/debugs' } }] },
      ],
    },
    ['W IST0131 spec.http[1].match[0]'],
  ],
  [
    'longer prefix with another header is reachable',
    {
      hosts: ['a.example.com'],
      gateways: ['gw'],
      http: [
        { ...forward, match: [{ uri: { prefix: '/debug' } }] },
        { ...forward, match: [{ uri: { prefix: '/debugs' }, headers: { x: { exact: '1' } } }] },
      ],
    },
    [],
  ],
  [
    'unreachable TCP rule',
    {
      hosts: ['a.example.com'],
      gateways: ['gw'],
      tcp: [{ route: [dest()] }, { match: [{ port: 1 }], route: [dest()] }],
    },
    ['W IST0130 spec.tcp[1]'],
  ],
  [
    'duplicate TLS match',
    {
      hosts: ['a.example.com'],
      gateways: ['gw'],
      tls: [
        { match: [{ sniHosts: ['a.example.com'] }], route: [dest()] },
        { match: [{ sniHosts: ['a.example.com'] }], route: [dest()] },
      ],
    },
    ['W IST0131 spec.tls[1].match[0]', 'W IST0130 spec.tls[1]'],
  ],
]

describe('validateVirtualService', () => {
  it.each(cases)('%s', (_name, spec, expected) => {
    expect(findings(spec).sort()).toEqual([...expected].sort())
  })

  it('names the resource with the default namespace and its own', () => {
    const [first] = validateVirtualService(resource({ hosts: ['a.example.com'] }))
    expect(first?.resource).toEqual({ kind: 'VirtualService', namespace: 'default', name: 'vs' })
    const [second] = validateVirtualService(resource({ hosts: ['a.example.com'] }, 'shop'))
    expect(second?.resource?.namespace).toBe('shop')
  })

  it('judges a programmatic resource without spec without throwing', () => {
    const bare = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'vs' } }
    const diagnostics = validateVirtualService(bare as unknown as VirtualServiceResource)
    expect(diagnostics.map((d) => [d.code, d.path, d.source])).toEqual([['PTC2300', 'spec', undefined]])
  })

  it('judges exportTo . against its own namespace', () => {
    expect(findings(withRule({}, { exportTo: ['.', 'shop'] }), 'shop')).toEqual(['E PTC2308 spec.exportTo'])
    expect(findings(withRule({}, { exportTo: ['.', 'shop'] }))).toEqual([])
  })

  it("prints Istio's messages", () => {
    expect(messages({ hosts: ['a.example.com'] })).toEqual([
      'http, tcp or tls must be provided in virtual service',
    ])
    expect(messages(withRule({}, { hosts: ['*'], gateways: [] }))).toEqual([
      'wildcard host * is not allowed for virtual services bound to the mesh gateway',
    ])
    expect(messages(withRule({}, { hosts: ['*.example.com', 'api.example.com'] }))).toEqual([
      'duplicate hosts in virtual service: *.example.com & api.example.com',
    ])
    expect(messages(withRule({}, { hosts: ['httpbin.example.com:80'] }))).toEqual([
      'domain name "example.com:80" invalid (label "com:80" invalid)',
    ])
    expect(messages(withRule({}, { gateways: ['gw.istio-system'] }))).toEqual([
      'using legacy gatewayName format "gw.istio-system"; prefer the <namespace>/<name> format: "istio-system/gw"',
    ])
    expect(messages(withRule({ match: [{ method: { prefix: '' } }] }))).toEqual([
      '"method": prefix string match should not be empty',
    ])
    expect(messages(withRule({ match: [{ uri: { regex: '' } }] }))).toEqual([
      '"uri": regex string match should not be empty',
    ])
    expect(messages(onlyRule({ match: [{}] }))).toEqual([
      'HTTP route, redirect or direct_response is required',
    ])
    expect(
      messages(
        onlyRule({
          route: [
            { ...dest('a'), weight: 0 },
            { ...dest('b'), weight: 0 },
          ],
        }),
      ),
    ).toEqual(['total destination weight = 0'])
    expect(messages(onlyRule({ route: [dest('a', { subset: 'v1.0' })] }))).toEqual([
      'subset name is invalid: v1.0',
    ])
    expect(messages(onlyRule({ redirect: { uri: '/x', redirectCode: 200 } }))).toEqual([
      '200 is not a valid redirect code, must be 3xx',
    ])
    expect(messages(withRule({ retries: { attempts: 2, retryOn: '5xx, reset' } }))).toEqual([
      '" reset" is not a valid retryOn policy',
    ])
    expect(messages(withRule({ headers: { request: { set: { ':path': '/' } } } }))).toEqual([
      'invalid header ":path": header cannot have ":" prefix',
    ])
    expect(
      messages(withRule({ rewrite: { authority: 'a' }, headers: { request: { set: { host: 'b' } } } })),
    ).toEqual(['authority header cannot be set multiple times: have "a", attempting to set "b"'])
    expect(messages(withRule({ mirror: { host: 'm' }, mirrorPercentage: { value: 150 } }))).toEqual([
      'mirror_percentage must have a max value of 100 (it has 150.000000)',
    ])
    expect(
      messages(withRule({ fault: { abort: { httpStatus: 500, percentage: { value: 0.00001 } } } })),
    ).toEqual(['percentage 1e-05 is neither 0.0, nor in range [0.0001, 100.0]'])
    expect(messages(withRule({ corsPolicy: { allowMethods: ['get'] } }))).toEqual([
      '"get" is not a supported HTTP method',
    ])
    expect(
      messages({
        hosts: ['a.example.com'],
        gateways: ['gw'],
        tls: [{ match: [{ sniHosts: ['*.example.com'] }], route: [dest()] }],
      }),
    ).toEqual([
      'SNI host "*.example.com" is not a compatible subset of any of the virtual service hosts: [a.example.com]',
    ])
    expect(
      messages({ hosts: ['a.example.com'], gateways: ['gw'], http: [{ ...forward, name: 'all' }, forward] }),
    ).toEqual(['VirtualService rule #1 not used (only the last rule can have no matches)'])
    expect(
      messages({
        hosts: ['a.example.com'],
        gateways: ['gw'],
        http: [
          { ...forward, name: 'debug', match: [{ uri: { prefix: '/debug' } }] },
          { ...forward, match: [{ name: 'm', uri: { prefix: '/debugs' } }] },
        ],
      }),
    ).toEqual([
      'VirtualService rule #1 match "m" of prefix /debugs is not used (duplicate/overlapping match in rule #0 of prefix /debug on "debug")',
    ])
  })

  it('marks only admission failures as errors', () => {
    const diagnostics: Diagnostic[] = validateVirtualService(
      resource(withRule({ fault: { abort: {}, delay: { fixedDelay: '1s' } } }, { gateways: ['gw.ns'] })),
    )
    expect(diagnostics.map((d) => d.severity)).toEqual(['warning', 'warning'])
  })
})
