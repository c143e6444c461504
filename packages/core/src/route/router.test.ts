import { describe, expect, it } from 'vitest'
import { compileResources, facts, type TestResource } from '../compile/test-fixtures.js'
import type { RouteDecision } from '../compile/types.js'
import { pickDestination, route } from './router.js'

const gateway: TestResource = {
  kind: 'Gateway',
  metadata: { name: 'g' },
  spec: { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] },
}
/** One VS on `*` bound to `g` with the given http rules; each rule routes to `r<i>` unless it has an action. */
function table(http: Record<string, unknown>[], more: TestResource[] = []) {
  const rules = http.map((h, i) =>
    h.route || h.redirect || h.directResponse ? h : { ...h, route: [{ destination: { host: `r${i}` } }] },
  )
  return compileResources([
    gateway,
    { kind: 'VirtualService', metadata: { name: 'v' }, spec: { hosts: ['*'], gateways: ['g'], http: rules } },
    ...more,
  ])
}
const hit = (d: RouteDecision) =>
  d.kind === 'route' ? d.forward.destinations[0]!.host.split('.')[0] : d.kind

describe('match fields (ISTIO-SEMANTICS §3.2)', () => {
  it('surprise 4: prefix is a raw string prefix; exact and regex ignore the query; regex is full-match', () => {
    const c = table([
      { match: [{ uri: { exact: '/a' } }] },
      { match: [{ uri: { regex: '/r[0-9]' } }] },
      { match: [{ uri: { prefix: '/status' } }] },
    ])
    expect(hit(route(c, facts(80, 'h', '/a?x=1')))).toBe('r0')
    expect(hit(route(c, facts(80, 'h', '/r1?x')))).toBe('r1')
    expect(hit(route(c, facts(80, 'h', '/r12')))).toBe('notFound')
    expect(hit(route(c, facts(80, 'h', '/statusx')))).toBe('r2')
    expect(hit(route(c, facts(80, 'h', '/Status')))).toBe('notFound')
  })
  it('surprise 5: ignoreUriCase applies to exact and prefix, not regex', () => {
    const c = table([
      { match: [{ uri: { exact: '/A' }, ignoreUriCase: true }] },
      { match: [{ uri: { prefix: '/Pre' }, ignoreUriCase: true }] },
      { match: [{ uri: { regex: '/re' }, ignoreUriCase: true }] },
    ])
    expect(hit(route(c, facts(80, 'h', '/a')))).toBe('r0')
    expect(hit(route(c, facts(80, 'h', '/PREFIX')))).toBe('r1')
    expect(hit(route(c, facts(80, 'h', '/RE')))).toBe('notFound')
    expect(hit(route(c, facts(80, 'h', '/re')))).toBe('r2')
  })
  it('headers: presence ({} and regex "*"), exact, prefix, regex; several values joined with ","', () => {
    const c = table([
      { match: [{ headers: { 'x-p': {} } }] },
      { match: [{ headers: { 'x-s': { regex: '*' } } }] },
      { match: [{ headers: { 'X-E': { exact: 'a,b' } } }] },
      { match: [{ headers: { 'x-r': { regex: 'v[0-9]' } } }] },
    ])
    expect(hit(route(c, facts(80, 'h', '/', { headers: { 'x-p': '' } })))).toBe('r0')
    expect(hit(route(c, facts(80, 'h', '/', { headers: { 'x-s': 'z' } })))).toBe('r1')
    expect(hit(route(c, facts(80, 'h', '/', { headers: { 'x-e': ['a', 'b'] } })))).toBe('r2')
    expect(hit(route(c, facts(80, 'h', '/', { headers: { 'x-r': 'v1x' } })))).toBe('notFound')
    expect(hit(route(c, facts(80, 'h', '/', { headers: { 'x-r': 'v1' } })))).toBe('r3')
  })
  it('withoutHeaders: absent or not matching; {} means absent only', () => {
    const c = table([
      { match: [{ withoutHeaders: { 'x-a': { exact: 'no' } } }] },
      { match: [{ withoutHeaders: { 'x-b': {} } }] },
    ])
    expect(hit(route(c, facts(80, 'h', '/')))).toBe('r0')
    expect(hit(route(c, facts(80, 'h', '/', { headers: { 'x-a': 'yes' } })))).toBe('r0')
    expect(hit(route(c, facts(80, 'h', '/', { headers: { 'x-a': 'no' } })))).toBe('r1')
    expect(hit(route(c, facts(80, 'h', '/', { headers: { 'x-a': 'no', 'x-b': '' } })))).toBe('notFound')
  })
  it('queryParams: first value, exact/prefix/regex/presence', () => {
    const c = table([
      { match: [{ queryParams: { a: { exact: '1' } } }] },
      { match: [{ queryParams: { b: {} } }] },
      { match: [{ queryParams: { c: { prefix: 'x' } } }] },
    ])
    expect(hit(route(c, facts(80, 'h', '/?a=1&a=2')))).toBe('r0')
    expect(hit(route(c, facts(80, 'h', '/?a=2&a=1')))).toBe('notFound')
    expect(hit(route(c, facts(80, 'h', '/?b')))).toBe('r1')
    expect(hit(route(c, facts(80, 'h', '/?c=xyz')))).toBe('r2')
  })
  it('method, scheme, authority (raw, port included, case-sensitive) and pseudo headers', () => {
    const c = table([
      { match: [{ method: { exact: 'POST' } }] },
      { match: [{ scheme: { exact: 'https' } }] },
      { match: [{ authority: { exact: 'h:8080' } }] },
      { match: [{ headers: { ':path': { exact: '/p?q=1' } } }] },
    ])
    expect(hit(route(c, facts(80, 'h', '/', { method: 'POST' })))).toBe('r0')
    expect(hit(route(c, facts(80, 'h', '/', { method: 'post' })))).toBe('notFound')
    expect(hit(route(c, facts(80, 'h', '/', { scheme: 'https' })))).toBe('r1')
    expect(hit(route(c, facts(80, 'h:8080', '/')))).toBe('r2')
    expect(hit(route(c, facts(80, 'H:8080', '/')))).toBe('notFound')
    expect(hit(route(c, facts(80, 'h', '/p?q=1')))).toBe('r3')
  })
  it('match entries are ORed, fields ANDed; port and gateways filter at build time', () => {
    const c = table([
      { match: [{ uri: { prefix: '/a' }, method: { exact: 'GET' } }, { uri: { prefix: '/b' } }] },
      { match: [{ uri: { prefix: '/c' }, port: 81 }] },
      { match: [{ uri: { prefix: '/c' }, gateways: ['other'] }] },
      { match: [{ uri: { prefix: '/c' }, port: 80, gateways: ['g'] }] },
    ])
    expect(hit(route(c, facts(80, 'h', '/a', { method: 'PUT' })))).toBe('notFound')
    expect(hit(route(c, facts(80, 'h', '/a')))).toBe('r0')
    expect(hit(route(c, facts(80, 'h', '/b', { method: 'PUT' })))).toBe('r0')
    expect(hit(route(c, facts(80, 'h', '/c')))).toBe('r3')
    const origin = route(c, facts(80, 'h', '/b'))
    expect(origin).toMatchObject({ origin: { routeIndex: 0, matchIndex: 1 } })
  })
})

describe('precedence', () => {
  it('first match wins, in order', () => {
    const c = table([{ match: [{ uri: { prefix: '/a' } }] }, { match: [{ uri: { exact: '/a/b' } }] }])
    expect(hit(route(c, facts(80, 'h', '/a/b')))).toBe('r0')
  })
  it('surprise 6: catch-alls of merged VirtualServices sink; routes after a catch-all vanish', () => {
    const c = compileResources([
      gateway,
      {
        kind: 'VirtualService',
        metadata: { name: 'a' },
        spec: {
          hosts: ['*'],
          gateways: ['g'],
          http: [
            { match: [{ uri: { prefix: '/cart' } }], route: [{ destination: { host: 'cart' } }] },
            { route: [{ destination: { host: 'catchall' } }] },
            { match: [{ uri: { prefix: '/never' } }], route: [{ destination: { host: 'never' } }] },
          ],
        },
      },
      {
        kind: 'VirtualService',
        metadata: { name: 'b' },
        spec: {
          hosts: ['*'],
          gateways: ['g'],
          http: [
            { match: [{ uri: { prefix: '/checkout' } }], route: [{ destination: { host: 'checkout' } }] },
          ],
        },
      },
    ])
    expect(hit(route(c, facts(80, 'h', '/checkout')))).toBe('checkout')
    expect(hit(route(c, facts(80, 'h', '/never')))).toBe('catchall')
  })
  it('exact vhost beats longest wildcard beats *', () => {
    const c = compileResources([
      gateway,
      {
        kind: 'VirtualService',
        metadata: { name: 'x' },
        spec: { hosts: ['*'], gateways: ['g'], http: [{ route: [{ destination: { host: 'any' } }] }] },
      },
      {
        kind: 'VirtualService',
        metadata: { name: 'y' },
        spec: { hosts: ['*.b.com'], gateways: ['g'], http: [{ route: [{ destination: { host: 'wild' } }] }] },
      },
      {
        kind: 'VirtualService',
        metadata: { name: 'z' },
        spec: {
          hosts: ['a.b.com'],
          gateways: ['g'],
          http: [{ route: [{ destination: { host: 'exact' } }] }],
        },
      },
    ])
    expect(hit(route(c, facts(80, 'A.B.com:80', '/')))).toBe('exact')
    expect(hit(route(c, facts(80, 'c.b.com', '/')))).toBe('wild')
    expect(hit(route(c, facts(80, 'b.com', '/')))).toBe('any')
  })
})

describe('actions', () => {
  it('surprise 7: weights are relative; weight 0 gets nothing; one destination takes all', () => {
    const c = table([
      {
        route: [
          { destination: { host: 'a' }, weight: 1 },
          { destination: { host: 'b' }, weight: 3 },
          { destination: { host: 'z' }, weight: 0 },
        ],
      },
    ])
    const d = route(c, facts(80, 'h', '/'))
    if (d.kind !== 'route') throw new Error(d.kind)
    expect(d.forward.cumulativeWeights).toEqual([1, 4])
    expect(pickDestination(d.forward, 0)!.host).toMatch(/^a\./)
    expect(pickDestination(d.forward, 0.2499)!.host).toMatch(/^a\./)
    expect(pickDestination(d.forward, 0.25)!.host).toMatch(/^b\./)
    expect(pickDestination(d.forward, 0.9999)!.host).toMatch(/^b\./)
    const one = route(table([{ route: [{ destination: { host: 'a' }, weight: 0 }] }]), facts(80, 'h', '/'))
    expect(one.kind === 'route' && one.forward.cumulativeWeights).toEqual([100])
  })
  it('surprise 8: no default timeout; the default retry policy has no 5xx', () => {
    const d = route(table([{}]), facts(80, 'h', '/'))
    if (d.kind !== 'route') throw new Error(d.kind)
    expect(d.forward.timeoutMs).toBeUndefined()
    expect(d.forward.retries.retryOn).toEqual([
      'connect-failure',
      'refused-stream',
      'unavailable',
      'cancelled',
      'retriable-status-codes',
    ])
    expect(d.forward.retries.retryOn).not.toContain('5xx')
    const r = route(
      table([{ timeout: '1.5s', retries: { attempts: 3, retryOn: '5xx,503', perTryTimeout: '100ms' } }]),
      facts(80, 'h', '/'),
    )
    expect(r.kind === 'route' && r.forward).toMatchObject({
      timeoutMs: 1500,
      retries: {
        attempts: 3,
        retryOn: ['5xx', 'retriable-status-codes'],
        retriableStatusCodes: [503],
        perTryTimeoutMs: 100,
      },
    })
  })
  it('retries.backoff and retryIgnorePreviousHosts are compiled; absent, they stay absent (Envoy 25 ms, Istio default)', () => {
    const r = route(
      table([
        {
          retries: {
            attempts: 2,
            retryOn: '5xx',
            backoff: '100ms',
            retryIgnorePreviousHosts: false,
            retryRemoteLocalities: true,
          },
        },
      ]),
      facts(80, 'h', '/'),
    )
    expect(r.kind === 'route' && r.forward.retries).toMatchObject({
      backoffBaseMs: 100,
      ignorePreviousHosts: false,
    })
    const d = route(table([{ retries: { attempts: 2, retryOn: '5xx' } }]), facts(80, 'h', '/'))
    if (d.kind !== 'route') throw new Error(d.kind)
    expect(d.forward.retries.backoffBaseMs).toBeUndefined()
    expect(d.forward.retries.ignorePreviousHosts).toBeUndefined()
  })
  it('surprise 9: fault without percentage does nothing (percent 0)', () => {
    const d = route(
      table([{ fault: { abort: { httpStatus: 503 }, delay: { fixedDelay: '1s' } } }]),
      facts(80, 'h', '/'),
    )
    expect(d.kind === 'route' && d.forward.fault).toEqual({
      abort: { status: 503, percent: 0 },
      delay: { ms: 1000, percent: 0 },
    })
  })
  it('surprise 10: rewrite uri / on prefix /foo gives //bar; query kept', () => {
    const c = table([
      {
        match: [{ uri: { prefix: '/foo' } }],
        rewrite: { uri: '/' },
        route: [{ destination: { host: 'a' } }],
      },
      { match: [{ uri: { exact: '/e' } }], rewrite: { uri: '/x' }, route: [{ destination: { host: 'a' } }] },
      {
        match: [{ uri: { regex: '/s/([a-z]+)/(.*)' } }],
        rewrite: { uriRegexRewrite: { match: '^/s/([a-z]+)/(.*)$', rewrite: '/\\2/\\1' } },
        route: [{ destination: { host: 'a' } }],
      },
      { rewrite: { uri: '/v2', authority: 'up.example' }, route: [{ destination: { host: 'a' } }] },
    ])
    expect(route(c, facts(80, 'h', '/foo/bar?q=1'))).toMatchObject({ upstreamPath: '//bar?q=1' })
    expect(route(c, facts(80, 'h', '/e?q'))).toMatchObject({ upstreamPath: '/x?q' })
    expect(route(c, facts(80, 'h', '/s/ab/cd?z'))).toMatchObject({ upstreamPath: '/cd/ab?z' })
    expect(route(c, facts(80, 'h', '/other'))).toMatchObject({
      upstreamPath: '/v2other',
      upstreamAuthority: 'up.example',
    })
  })
  it('a host header set is an authority rewrite', () => {
    const d = route(
      table([{ headers: { request: { set: { Host: 'set.example', 'x-a': '1' } } } }]),
      facts(80, 'h', '/'),
    )
    expect(d).toMatchObject({
      upstreamAuthority: 'set.example',
      forward: { headers: { request: { set: [['x-a', '1']] } } },
    })
  })
  it('redirect Location per ISTIO-SEMANTICS §4.2 (surprise 10: query kept)', () => {
    const c = table([
      { match: [{ uri: { prefix: '/u' } }], redirect: { uri: '/new' } },
      { match: [{ uri: { prefix: '/q' } }], redirect: { uri: '/new?own=1', redirectCode: 308 } },
      { match: [{ uri: { prefix: '/a' } }], redirect: { authority: 'other.com' } },
      { match: [{ uri: { prefix: '/s' } }], redirect: { scheme: 'https' } },
      { match: [{ uri: { prefix: '/p' } }], redirect: { port: 8443, scheme: 'https' } },
      { match: [{ uri: { prefix: '/d' } }], redirect: { derivePort: 'FROM_REQUEST_PORT' } },
      { match: [{ uri: { prefix: '/foo' } }], redirect: { prefixRewrite: '/' } },
    ])
    expect(route(c, facts(80, 'h', '/foo/baz?k=v'))).toMatchObject({ location: 'http://h//baz?k=v' })
    expect(route(c, facts(80, 'h:8080', '/u/x?k=v'))).toMatchObject({
      kind: 'redirect',
      status: 301,
      location: 'http://h:8080/new?k=v',
    })
    expect(route(c, facts(80, 'h', '/q?k=v'))).toMatchObject({ status: 308, location: 'http://h/new?own=1' })
    expect(route(c, facts(80, 'h:8080', '/a'))).toMatchObject({ location: 'http://other.com/a' })
    expect(route(c, facts(80, 'h:80', '/s'))).toMatchObject({ location: 'https://h/s' })
    expect(route(c, facts(80, 'h:8080', '/s'))).toMatchObject({ location: 'https://h:8080/s' })
    expect(route(c, facts(80, 'h:8080', '/p'))).toMatchObject({ location: 'https://h:8443/p' })
    expect(route(c, facts(80, 'h:8080', '/d'))).toMatchObject({ location: 'http://h/d' })
  })
  it('directResponse with a body', () => {
    const d = route(
      table([{ directResponse: { status: 418, body: { string: 'tea' } } }]),
      facts(80, 'h', '/'),
    )
    expect(d).toMatchObject({ kind: 'directResponse', status: 418 })
    expect(d.kind === 'directResponse' && new TextDecoder().decode(d.body)).toBe('tea')
  })
  it('surprise 11: httpsRedirect redirects every path, keeping Host and port verbatim', () => {
    const c = compileResources([
      {
        kind: 'Gateway',
        metadata: { name: 'g' },
        spec: {
          servers: [
            {
              port: { number: 80, name: 'http', protocol: 'HTTP' },
              hosts: ['a.com'],
              tls: { httpsRedirect: true },
            },
          ],
        },
      },
    ])
    expect(route(c, facts(80, 'a.com:8080', '/unrouted?x=1'))).toMatchObject({
      kind: 'redirect',
      status: 301,
      location: 'https://a.com:8080/unrouted?x=1',
    })
  })
  it('surprise 12: CORS allows by StringMatch or literal *, lists comma-joined', () => {
    const d = route(
      table([
        {
          corsPolicy: {
            allowOrigins: [{ exact: 'https://a.com' }, { prefix: 'https://b' }],
            allowMethods: ['GET', 'POST'],
            allowHeaders: ['x-a', 'x-b'],
            maxAge: '24h',
            allowCredentials: true,
          },
        },
      ]),
      facts(80, 'h', '/'),
    )
    if (d.kind !== 'route') throw new Error(d.kind)
    const cors = d.forward.cors!
    expect(cors.allowsOrigin('https://a.com')).toBe(true)
    expect(cors.allowsOrigin('https://bb.com')).toBe(true)
    expect(cors.allowsOrigin('https://c.com')).toBe(false)
    expect(cors).toMatchObject({
      allowMethods: 'GET,POST',
      allowHeaders: 'x-a,x-b',
      maxAgeSeconds: 86400,
      allowCredentials: true,
      unmatchedPreflights: 'FORWARD',
    })
    const star = route(table([{ corsPolicy: { allowOrigins: [{ exact: '*' }] } }]), facts(80, 'h', '/'))
    expect(star.kind === 'route' && star.forward.cors!.allowsOrigin('https://any')).toBe(true)
  })
  it('surprise 15: an unknown destination host, port or subset has no cluster (503 NC)', () => {
    const c = table([{ route: [{ destination: { host: 'nowhere', subset: 'v1' } }] }])
    const d = route(c, facts(80, 'h', '/'))
    expect(d.kind === 'route' && c.clusters.has(d.forward.destinations[0]!.clusterName)).toBe(false)
  })
  it('mirrors: percentage absent means 100', () => {
    const d = route(
      table([{ mirror: { host: 'm' }, mirrors: [{ destination: { host: 'n' }, percentage: { value: 5 } }] }]),
      facts(80, 'h', '/'),
    )
    expect(d.kind === 'route' && d.forward.mirrors.map((m) => m.percent)).toEqual([100, 5])
  })
})

describe('rejections and normalization', () => {
  const c = table([{ match: [{ uri: { prefix: '/admin' } }] }])
  it('matches the normalized path and forwards exactly it', () => {
    expect(route(c, facts(80, 'h', '/x/../admin/./a'))).toMatchObject({
      kind: 'route',
      upstreamPath: '/admin/a',
      path: '/admin/a',
    })
    expect(route(c, facts(80, 'h', '//admin')).kind).toBe('notFound')
  })
  it('400 for an unnormalizable path or a malformed authority', () => {
    expect(route(c, facts(80, 'h', '/a%00'))).toMatchObject({ kind: 'reject', status: 400 })
    expect(route(c, facts(80, 'evil@h', '/admin'))).toMatchObject({ kind: 'reject', status: 400 })
    expect(route(c, facts(80, '', '/admin'))).toMatchObject({ kind: 'reject', status: 400 })
  })
  it('MERGE_SLASHES policy from compile options', () => {
    const m = compileResources(
      [
        gateway,
        {
          kind: 'VirtualService',
          metadata: { name: 'v' },
          spec: {
            hosts: ['*'],
            gateways: ['g'],
            http: [{ match: [{ uri: { prefix: '/admin' } }], route: [{ destination: { host: 'a' } }] }],
          },
        },
      ],
      { pathPolicy: { normalization: 'MERGE_SLASHES' } },
    )
    expect(route(m, facts(80, 'h', '//admin'))).toMatchObject({ kind: 'route', upstreamPath: '/admin' })
  })
})
