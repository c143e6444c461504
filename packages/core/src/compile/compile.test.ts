import { describe, expect, it } from 'vitest'
import { route } from '../route/router.js'
import { compileResources, facts, seedResources, type TestResource } from './test-fixtures.js'

const gw = (name: string, servers: unknown[], extra: Record<string, unknown> = {}): TestResource => ({
  kind: 'Gateway',
  metadata: { name, ...extra },
  spec: { selector: { istio: 'ingressgateway' }, servers },
})
const vs = (name: string, spec: Record<string, unknown>, namespace?: string): TestResource => ({
  kind: 'VirtualService',
  metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
  spec,
})
const httpServer = (hosts: string[], port = 80, name = 'http') => ({
  port: { number: port, name, protocol: 'HTTP' },
  hosts,
})

describe('the seed scenario compiled (ISTIO-SEMANTICS §11)', () => {
  it('step 1: http.80 with one vhost httpbin.example.com:80 and two prefix routes', () => {
    const c = compileResources(seedResources(1))
    expect([...c.listeners.keys()]).toEqual([80])
    const l = c.listeners.get(80)!
    expect(l.name).toBe('http.80')
    const table = l.servers[0]!.http!
    expect(table.name).toBe('http.80')
    expect(table.virtualHosts.map((v) => v.name)).toEqual(['httpbin.example.com:80'])
    const routes = table.virtualHosts[0]!.routes
    expect(routes.map((r) => r.matchDescription)).toEqual(['uri prefix "/status"', 'uri prefix "/delay"'])
    const action = routes[0]!.action
    expect(action.kind).toBe('route')
    if (action.kind !== 'route') return
    expect(action.route.destinations[0]!.clusterName).toBe('outbound|8000||httpbin.default.svc.cluster.local')
    expect(action.route.timeoutMs).toBeUndefined()
    expect(action.route.retries).toMatchObject({ attempts: 2, isDefault: true })
    const cluster = c.clusters.get('outbound|8000||httpbin.default.svc.cluster.local')!
    expect(cluster.endpoints).toEqual([
      { address: '127.0.0.1', port: 18001, labels: { version: 'v1' }, weight: 1 },
    ])
    expect(cluster.trafficPolicy.loadBalancer.kind).toBe('LEAST_REQUEST')
  })

  it('step 1: /status/200 routes, /headers and other hosts get 404 NR', () => {
    const c = compileResources(seedResources(1))
    const ok = route(c, facts(80, 'httpbin.example.com:31486', '/status/200'))
    expect(ok).toMatchObject({ kind: 'route', upstreamPath: '/status/200', routeConfig: 'http.80' })
    expect(route(c, facts(80, 'httpbin.example.com', '/headers'))).toMatchObject({
      kind: 'notFound',
      reason: 'no-route',
    })
    expect(route(c, facts(80, 'other.example.com', '/status/200'))).toMatchObject({
      kind: 'notFound',
      reason: 'no-virtual-host',
    })
  })

  it('step 2: an extra https.443 server chosen by SNI, certificate from the seed secret when applied', () => {
    const secret: TestResource = {
      kind: 'Secret',
      metadata: { name: 'istio-ingressgateway-certs', namespace: 'istio-system' },
      type: 'kubernetes.io/tls',
      data: {
        'tls.crt': Buffer.from('CERT').toString('base64'),
        'tls.key': Buffer.from('KEY').toString('base64'),
      },
    }
    const withFiles = compileResources(seedResources(2))
    const l = withFiles.listeners.get(443)!
    expect(l.protocol).toBe('HTTPS')
    const server = l.selectServer('httpbin.example.com')!
    expect(server.name).toBe('https.443.https.httpbin-gateway.default')
    expect(server.tls?.certificate).toEqual({ kind: 'file', path: '/etc/istio/ingressgateway-certs/tls.crt' })
    expect(l.selectServer('other.example.com')).toBeUndefined()
    expect(l.selectServer(undefined)).toBeUndefined()
    const withSecret = compileResources([...seedResources(2), secret])
    const s2 = withSecret.listeners.get(443)!.selectServer('httpbin.example.com')!
    expect(s2.tls?.certificate).toMatchObject({ kind: 'inline', pem: 'CERT' })
    expect(s2.tls?.privateKey).toMatchObject({ kind: 'inline', pem: 'KEY' })
    expect(s2.tls?.minVersion).toBe('TLSv1.2')
    const d = route(
      withSecret,
      facts(443, 'httpbin.example.com', '/status/200', { sni: 'httpbin.example.com', scheme: 'https' }),
    )
    expect(d).toMatchObject({ kind: 'route', routeConfig: 'https.443.https.httpbin-gateway.default' })
  })

  it('step 3: no port 80 listener any more', () => {
    const c = compileResources(seedResources(3))
    expect([...c.listeners.keys()]).toEqual([443])
    expect(route(c, facts(80, 'httpbin.example.com', '/status/200'))).toMatchObject({
      kind: 'notFound',
      reason: 'no-listener',
    })
  })
})

describe('gateway selection and binding', () => {
  it('ignores Gateways whose selector does not match the labels; nil selector applies', () => {
    const other = {
      ...gw('other', [httpServer(['a.com'], 81)]),
      spec: { selector: { app: 'x' }, servers: [httpServer(['a.com'], 81)] },
    }
    const nil = { ...gw('nil', [httpServer(['a.com'], 82)]), spec: { servers: [httpServer(['a.com'], 82)] } }
    const c = compileResources([other, nil])
    expect([...c.listeners.keys()]).toEqual([82])
    expect([...compileResources([other], { labels: { app: 'x' } }).listeners.keys()]).toEqual([81])
  })

  it('surprise 1: a VirtualService without gateways is mesh-only', () => {
    const c = compileResources([
      gw('g', [httpServer(['*'])]),
      vs('v', { hosts: ['*'], http: [{ route: [{ destination: { host: 'a' } }] }] }),
    ])
    expect(route(c, facts(80, 'x.com', '/'))).toMatchObject({ kind: 'notFound', reason: 'no-route' })
  })

  it('surprise 2: a short VS host means <name>.<ns>.svc.cluster.local', () => {
    const c = compileResources([
      gw('g', [httpServer(['*'])]),
      vs('v', {
        hosts: ['httpbin'],
        gateways: ['g'],
        http: [{ route: [{ destination: { host: 'httpbin' } }] }],
      }),
    ])
    expect(route(c, facts(80, 'httpbin', '/')).kind).toBe('notFound')
    expect(route(c, facts(80, 'httpbin.default.svc.cluster.local', '/')).kind).toBe('route')
  })

  it('surprise 3: *.example.com covers a.b.example.com, not example.com', () => {
    const c = compileResources([
      gw('g', [httpServer(['*.example.com'])]),
      vs('v', { hosts: ['*'], gateways: ['g'], http: [{ route: [{ destination: { host: 'a' } }] }] }),
    ])
    expect(route(c, facts(80, 'a.b.example.com', '/')).kind).toBe('route')
    expect(route(c, facts(80, 'example.com', '/')).kind).toBe('notFound')
  })

  it('server hosts with ns/ restrict which VirtualServices bind', () => {
    const c = compileResources([
      gw('g', [httpServer(['ns1/*', 'ns2/b.com'])], { namespace: 'istio-system' }),
      vs(
        'a',
        {
          hosts: ['a.com'],
          gateways: ['istio-system/g'],
          http: [{ route: [{ destination: { host: 'a' } }] }],
        },
        'ns1',
      ),
      vs(
        'b',
        {
          hosts: ['b.com'],
          gateways: ['istio-system/g'],
          http: [{ route: [{ destination: { host: 'b' } }] }],
        },
        'ns3',
      ),
    ])
    expect(route(c, facts(80, 'a.com', '/')).kind).toBe('route')
    expect(route(c, facts(80, 'b.com', '/')).kind).toBe('notFound')
  })

  it('exportTo must make the VirtualService visible in the gateway namespace', () => {
    const c = compileResources([
      gw('g', [httpServer(['*'])], { namespace: 'istio-system' }),
      vs(
        'hidden',
        {
          hosts: ['a.com'],
          gateways: ['istio-system/g'],
          exportTo: ['.'],
          http: [{ route: [{ destination: { host: 'a' } }] }],
        },
        'team',
      ),
      vs(
        'shown',
        {
          hosts: ['b.com'],
          gateways: ['istio-system/g'],
          exportTo: ['istio-system'],
          http: [{ route: [{ destination: { host: 'b' } }] }],
        },
        'team',
      ),
    ])
    expect(route(c, facts(80, 'a.com', '/')).kind).toBe('notFound')
    expect(route(c, facts(80, 'b.com', '/')).kind).toBe('route')
  })

  it('plaintext servers of several gateways on one port merge into http.<port>', () => {
    const c = compileResources([
      gw('g1', [httpServer(['a.com'])]),
      gw('g2', [httpServer(['b.com'])]),
      vs('a', { hosts: ['*'], gateways: ['g1'], http: [{ route: [{ destination: { host: 'a' } }] }] }),
      vs('b', { hosts: ['*'], gateways: ['g2'], http: [{ route: [{ destination: { host: 'b' } }] }] }),
    ])
    expect(c.listeners.get(80)!.servers).toHaveLength(1)
    expect(route(c, facts(80, 'a.com', '/'))).toMatchObject({ origin: { virtualService: { name: 'a' } } })
    expect(route(c, facts(80, 'b.com', '/'))).toMatchObject({ origin: { virtualService: { name: 'b' } } })
  })

  it('a VirtualService bound to two gateways of one port contributes its routes once', () => {
    const c = compileResources([
      gw('g1', [httpServer(['*'])]),
      gw('g2', [httpServer(['*'])]),
      vs('v', {
        hosts: ['a.com'],
        gateways: ['g1', 'g2'],
        http: [{ route: [{ destination: { host: 'a' } }] }],
      }),
    ])
    expect(c.listeners.get(80)!.servers[0]!.http!.virtualHosts[0]!.routes).toHaveLength(1)
  })

  it('a port with servers but no VirtualService answers 404 from a blackhole vhost', () => {
    const c = compileResources([gw('g', [httpServer(['a.com'])])])
    expect(route(c, facts(80, 'a.com', '/'))).toMatchObject({ kind: 'notFound', reason: 'no-route' })
  })

  it('an HTTP server on a TLS port is skipped with PTC4001', () => {
    const c = compileResources([
      gw('g', [
        {
          port: { number: 443, name: 'https', protocol: 'HTTPS' },
          hosts: ['a.com'],
          tls: { mode: 'SIMPLE', serverCertificate: '/c', privateKey: '/k' },
        },
        httpServer(['b.com'], 443, 'http'),
      ]),
    ])
    expect(c.diagnostics.map((d) => d.code)).toContain('PTC4001')
  })

  it('a duplicate TLS host on one port skips the later server (PTC4004)', () => {
    const tls = { mode: 'SIMPLE', serverCertificate: '/c', privateKey: '/k' }
    const c = compileResources([
      gw('g1', [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['a.com'], tls }]),
      gw('g2', [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['a.com'], tls }]),
    ])
    expect(c.listeners.get(443)!.servers).toHaveLength(1)
    expect(c.diagnostics.map((d) => d.code)).toContain('PTC4004')
  })
})

describe('TLS by SNI (surprise 13)', () => {
  const tls = { mode: 'SIMPLE', serverCertificate: '/c', privateKey: '/k' }
  const resources = [
    gw('g', [
      { port: { number: 443, name: 'a', protocol: 'HTTPS' }, hosts: ['a.com'], tls },
      { port: { number: 443, name: 'b', protocol: 'HTTPS' }, hosts: ['*.b.com'], tls },
      { port: { number: 443, name: 'c', protocol: 'HTTPS' }, hosts: ['x.b.com'], tls },
    ]),
    vs('v', { hosts: ['*'], gateways: ['g'], http: [{ route: [{ destination: { host: 'a' } }] }] }),
  ]
  it('SNI picks the server: exact, then the longest wildcard; unknown SNI has none', () => {
    const l = compileResources(resources).listeners.get(443)!
    expect(l.selectServer('a.com')!.name).toBe('https.443.a.g.default')
    expect(l.selectServer('y.b.com')!.name).toBe('https.443.b.g.default')
    expect(l.selectServer('X.B.com')!.name).toBe('https.443.c.g.default')
    expect(l.selectServer('c.com')).toBeUndefined()
  })
  it('SNI a + Host of another server → 404 (or 421 when configured)', () => {
    const f = facts(443, 'y.b.com', '/', { sni: 'a.com', scheme: 'https' })
    expect(route(compileResources(resources), f)).toMatchObject({
      kind: 'notFound',
      reason: 'no-virtual-host',
    })
    expect(route(compileResources(resources, { misdirectedStatus: 421 }), f)).toMatchObject({
      kind: 'reject',
      status: 421,
    })
  })
  it('credentialName reads tls.crt/tls.key of a Secret (stringData or data)', () => {
    const c = compileResources([
      gw('g', [
        {
          port: { number: 443, name: 'https', protocol: 'HTTPS' },
          hosts: ['a.com'],
          tls: { mode: 'SIMPLE', credentialName: 'cred' },
        },
      ]),
      { kind: 'Secret', metadata: { name: 'cred' }, stringData: { 'tls.crt': 'C', 'tls.key': 'K' } },
    ])
    const s = c.listeners.get(443)!.selectServer('a.com')!
    expect(s.tls).toMatchObject({
      certificate: { pem: 'C' },
      privateKey: { pem: 'K' },
      credentialName: 'cred',
    })
    const missing = compileResources([
      gw('g', [
        {
          port: { number: 443, name: 'https', protocol: 'HTTPS' },
          hosts: ['a.com'],
          tls: { mode: 'SIMPLE', credentialName: 'nope' },
        },
      ]),
    ])
    expect(missing.diagnostics.map((d) => d.code)).toContain('PTC4003')
  })
})

describe('passthrough and TCP', () => {
  it('PASSTHROUGH servers carry tls routes by sniHosts; TCP servers the first tcp route', () => {
    const c = compileResources([
      gw('g', [
        { port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['*'], tls: { mode: 'PASSTHROUGH' } },
        { port: { number: 31400, name: 'tcp', protocol: 'TCP' }, hosts: ['*'] },
      ]),
      vs('v', {
        hosts: ['*'],
        gateways: ['g'],
        tls: [
          {
            match: [{ sniHosts: ['a.com'] }],
            route: [{ destination: { host: 'a', port: { number: 443 } } }],
          },
        ],
        tcp: [{ route: [{ destination: { host: 'db', port: { number: 5432 } }, weight: 1 }] }],
      }),
    ])
    const pt = c.listeners.get(443)!.selectServer('a.com')!
    expect(pt.passthrough).toHaveLength(1)
    expect(pt.passthrough![0]).toMatchObject({
      sniHosts: ['a.com'],
      destinations: [{ clusterName: 'outbound|443||a.default.svc.cluster.local' }],
    })
    const tcp = c.listeners.get(31400)!
    expect(tcp.protocol).toBe('TCP')
    expect(tcp.servers[0]!.tcp!.destinations[0]!.clusterName).toBe(
      'outbound|5432||db.default.svc.cluster.local',
    )
  })
})

describe('clusters', () => {
  const se: TestResource = {
    kind: 'ServiceEntry',
    metadata: { name: 'svc' },
    spec: {
      hosts: ['svc.default.svc.cluster.local'],
      ports: [{ number: 8000, name: 'http', protocol: 'HTTP', targetPort: 9000 }],
      resolution: 'STATIC',
      endpoints: [
        { address: '10.0.0.1', labels: { version: 'v1' } },
        { address: '10.0.0.2', ports: { http: 9100 }, labels: { version: 'v2', extra: 'x' } },
      ],
    },
  }
  const dr: TestResource = {
    kind: 'DestinationRule',
    metadata: { name: 'svc' },
    spec: {
      host: 'svc',
      trafficPolicy: {
        loadBalancer: { simple: 'ROUND_ROBIN' },
        connectionPool: { tcp: { connectTimeout: '2s', maxConnections: 5 } },
        portLevelSettings: [{ port: { number: 8000 }, outlierDetection: { consecutive5xxErrors: 3 } }],
      },
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } },
        { name: 'none', labels: { version: 'v9' } },
      ],
    },
  }
  it('endpoints by port name, targetPort, subsets by label superset, policies layered', () => {
    const c = compileResources([se, dr])
    const all = c.clusters.get('outbound|8000||svc.default.svc.cluster.local')!
    expect(all.endpoints.map((e) => `${e.address}:${e.port}`)).toEqual(['10.0.0.1:9000', '10.0.0.2:9100'])
    expect(all.trafficPolicy).toMatchObject({
      loadBalancer: { kind: 'ROUND_ROBIN' },
      connectTimeoutMs: 2000,
      maxConnections: 5,
      outlierDetection: {
        consecutive5xxErrors: 3,
        intervalMs: 10000,
        baseEjectionTimeMs: 30000,
        maxEjectionPercent: 10,
      },
    })
    const v2 = c.clusters.get('outbound|8000|v2|svc.default.svc.cluster.local')!
    expect(v2.endpoints.map((e) => e.address)).toEqual(['10.0.0.2'])
    expect(v2.trafficPolicy.loadBalancer.kind).toBe('RANDOM')
    expect(c.clusters.get('outbound|8000|none|svc.default.svc.cluster.local')!.endpoints).toEqual([])
    expect(c.clusters.has('outbound|8000|v3|svc.default.svc.cluster.local')).toBe(false)
  })
  it('a destination port defaults to the only service port, else the server port', () => {
    const c = compileResources([
      gw('g', [httpServer(['*'])]),
      se,
      vs('v', {
        hosts: ['*'],
        gateways: ['g'],
        http: [
          { match: [{ uri: { prefix: '/a' } }], route: [{ destination: { host: 'svc' } }] },
          { route: [{ destination: { host: 'unknown' } }] },
        ],
      }),
    ])
    const a = route(c, facts(80, 'x', '/a'))
    const b = route(c, facts(80, 'x', '/b'))
    expect(a.kind === 'route' && a.forward.destinations[0]!.clusterName).toBe(
      'outbound|8000||svc.default.svc.cluster.local',
    )
    expect(b.kind === 'route' && b.forward.destinations[0]!.clusterName).toBe(
      'outbound|80||unknown.default.svc.cluster.local',
    )
    expect(c.clusters.has('outbound|80||unknown.default.svc.cluster.local')).toBe(false)
  })
  it('the programmatic registry provides clusters too', () => {
    const c = compileResources([], {
      services: {
        'api.example': { ports: [{ number: 80 }], endpoints: [{ address: '127.0.0.1', port: 1234 }] },
      },
    })
    expect(c.clusters.get('outbound|80||api.example')!.endpoints[0]).toMatchObject({
      address: '127.0.0.1',
      port: 1234,
    })
  })
})

describe('delegation and build-time filters', () => {
  it('a delegate VirtualService contributes its routes, merged with the root match', () => {
    const c = compileResources([
      gw('g', [httpServer(['*'])]),
      vs('root', {
        hosts: ['*'],
        gateways: ['g'],
        http: [
          { match: [{ uri: { prefix: '/api' } }], delegate: { name: 'child', namespace: 'team' } },
          { route: [{ destination: { host: 'fallback' } }] },
        ],
      }),
      vs(
        'child',
        {
          http: [
            { match: [{ uri: { prefix: '/api/v1' } }], route: [{ destination: { host: 'v1' } }] },
            { match: [{ uri: { prefix: '/other' } }], route: [{ destination: { host: 'conflict' } }] },
            { route: [{ destination: { host: 'api-any' } }] },
          ],
        },
        'team',
      ),
    ])
    const host = (p: string) => {
      const d = route(c, facts(80, 'x', p))
      return d.kind === 'route' ? d.forward.destinations[0]!.host : d.kind
    }
    expect(host('/api/v1/x')).toBe('v1.team.svc.cluster.local')
    expect(host('/api/v2')).toBe('api-any.team.svc.cluster.local')
    expect(host('/other')).toBe('fallback.default.svc.cluster.local')
    expect(route(c, facts(80, 'x', '/api/v1'))).toMatchObject({
      origin: { virtualService: { namespace: 'team', name: 'child' } },
    })
  })

  it('match sourceLabels compare with the gateway labels', () => {
    const c = compileResources([
      gw('g', [httpServer(['*'])]),
      vs('v', {
        hosts: ['*'],
        gateways: ['g'],
        http: [
          { match: [{ sourceLabels: { app: 'other' } }], route: [{ destination: { host: 'no' } }] },
          {
            match: [{ sourceLabels: { istio: 'ingressgateway' } }],
            route: [{ destination: { host: 'yes' } }],
          },
        ],
      }),
    ])
    const d = route(c, facts(80, 'x', '/'))
    expect(d.kind === 'route' && d.forward.destinations[0]!.host).toBe('yes.default.svc.cluster.local')
  })

  it('an invalid regex drops the match with PTC4002 and keeps the rest', () => {
    const c = compileResources([
      gw('g', [httpServer(['*'])]),
      vs('v', {
        hosts: ['*'],
        gateways: ['g'],
        http: [
          {
            match: [{ uri: { regex: '(' } }, { uri: { prefix: '/ok' } }],
            route: [{ destination: { host: 'a' } }],
          },
        ],
      }),
    ])
    expect(c.diagnostics.map((d) => [d.code, d.path])).toEqual([['PTC4002', 'spec.http[0].match[0]']])
    expect(route(c, facts(80, 'x', '/ok')).kind).toBe('route')
  })
})

describe('DestinationRule precedence', () => {
  it('an exact-host rule wins over wildcard rules; the longest wildcard wins otherwise', () => {
    const se = (host: string): TestResource => ({
      kind: 'ServiceEntry',
      metadata: { name: host },
      spec: { hosts: [host], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS' },
    })
    const dr = (name: string, host: string, lb: string): TestResource => ({
      kind: 'DestinationRule',
      metadata: { name },
      spec: { host, trafficPolicy: { loadBalancer: { simple: lb } } },
    })
    const c = compileResources([
      se('a.example.com'),
      se('b.example.com'),
      dr('wide', '*.com', 'RANDOM'),
      dr('narrow', '*.example.com', 'ROUND_ROBIN'),
      dr('exact', 'a.example.com', 'PASSTHROUGH'),
    ])
    expect(c.clusters.get('outbound|80||a.example.com')!.trafficPolicy.loadBalancer.kind).toBe('PASSTHROUGH')
    expect(c.clusters.get('outbound|80||b.example.com')!.trafficPolicy.loadBalancer.kind).toBe('ROUND_ROBIN')
    expect(c.clusters.get('outbound|80||b.example.com')!.endpoints).toEqual([
      { address: 'b.example.com', port: 80, labels: {}, weight: 1 },
    ])
  })
})
