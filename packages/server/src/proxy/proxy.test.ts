import { afterEach, describe, expect, it } from 'vitest'
import { createGateway, type Gateway } from '../gateway.js'
import {
  closedPort,
  cluster,
  config,
  destination,
  forwardSpec,
  http1,
  httpServer,
  listener,
  noOps,
  type RouteOptions,
  startUpstream,
  testRoute,
  type Upstream,
} from '../test/config.js'

const C1 = 'outbound|8000||httpbin.default.svc.cluster.local'
const C2 = 'outbound|8000|v2|httpbin.default.svc.cluster.local'

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

async function upstream(name?: string): Promise<Upstream> {
  const u = await startUpstream(name)
  cleanup.push(() => u.close())
  return u
}

async function gateway(
  routes: RouteOptions[],
  clusters: ReturnType<typeof cluster>[],
  extra = {},
): Promise<Gateway> {
  const gw = await createGateway({
    config: config(
      [listener(80, 'HTTP', [httpServer('http.80', ['httpbin.example.com'], routes)])],
      clusters,
    ),
    ports: { 80: 0 },
    route: testRoute,
    drainTimeoutMs: 500,
    ...extra,
  })
  cleanup.push(() => gw.close())
  return gw
}

const port = (gw: Gateway) => gw.addresses[80]!.port
const forwardTo = (name: string, more = {}) =>
  ({ kind: 'route', route: forwardSpec({ destinations: [destination(name)], ...more }) }) as const

describe('proxying', () => {
  it('forwards with Envoy-like request headers and rewrites the response headers', async () => {
    const u = await upstream()
    const gw = await gateway([{ prefix: '/', action: forwardTo(C1) }], [cluster(C1, [{ port: u.port }])])
    const r = await http1(port(gw), '/anything?x=1', {
      headers: {
        'x-forwarded-for': '10.0.0.1',
        'x-forwarded-proto': 'https',
        connection: 'keep-alive, x-drop-me',
        'x-drop-me': 'secret',
        'keep-alive': 'timeout=5',
        upgrade: 'h2c',
        'http2-settings': 'AAMAAABkAAQAoAAAAAIAAAAA',
        'x-request-id': 'abc-123',
      },
    })
    expect(r.status).toBe(200)
    const seen = JSON.parse(r.body)
    expect(seen.url).toBe('/anything?x=1')
    expect(seen.headers.host).toBe('httpbin.example.com')
    expect(seen.headers['x-forwarded-for']).toBe('10.0.0.1,127.0.0.1')
    expect(seen.headers['x-forwarded-proto']).toBe('http')
    expect(seen.headers['x-request-id']).toBe('abc-123')
    expect(seen.headers['x-envoy-attempt-count']).toBe('1')
    expect(seen.headers['x-drop-me']).toBeUndefined()
    expect(seen.headers.upgrade).toBeUndefined()
    expect(seen.headers['http2-settings']).toBeUndefined()
    expect(seen.headers['keep-alive']).toBeUndefined()
    expect(r.headers.server).toBe('portico')
    expect(r.headers.date).toBeDefined()
    expect(Number(r.headers['x-envoy-upstream-service-time'])).toBeGreaterThanOrEqual(0)
    expect(r.headers['x-secret-hop']).toBeUndefined()
    // Node frames its own keep-alive; the upstream's value is never copied.
    expect(r.headers['keep-alive']).not.toBe('timeout=7, max=3')
    expect(r.headers['x-upstream']).toBe('upstream')
  })

  it('generates a UUID x-request-id when the client sends none', async () => {
    const u = await upstream()
    const gw = await gateway([{ prefix: '/', action: forwardTo(C1) }], [cluster(C1, [{ port: u.port }])])
    const seen = JSON.parse((await http1(port(gw), '/')).body)
    expect(seen.headers['x-request-id']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
  })

  it('sets x-envoy-original-path when the path was rewritten', async () => {
    const u = await upstream()
    const gw = await gateway(
      [{ prefix: '/api/', rewrite: '/', action: forwardTo(C1) }],
      [cluster(C1, [{ port: u.port }])],
    )
    const seen = JSON.parse((await http1(port(gw), '/api/items?q=1')).body)
    expect(seen.url).toBe('/items?q=1')
    expect(seen.headers['x-envoy-original-path']).toBe('/api/items?q=1')
  })

  it('applies route and destination header operations both ways', async () => {
    const u = await upstream()
    const routeOps = {
      request: { set: [['x-route', 'r'] as const], add: [['x-multi', 'a'] as const], remove: ['x-remove'] },
      response: { set: [['x-resp', 'yes'] as const], add: [], remove: ['x-upstream'] },
    }
    const destOps = {
      request: { set: [['x-dest', 'd'] as const], add: [['x-multi', 'b'] as const], remove: [] },
      response: noOps.response,
    }
    const gw = await gateway(
      [
        {
          prefix: '/',
          action: {
            kind: 'route',
            route: forwardSpec({ destinations: [destination(C1, 100, destOps)], headers: routeOps }),
          },
        },
      ],
      [cluster(C1, [{ port: u.port }])],
    )
    const r = await http1(port(gw), '/', { headers: { 'x-remove': '1' } })
    const seen = JSON.parse(r.body)
    expect(seen.headers['x-route']).toBe('r')
    expect(seen.headers['x-dest']).toBe('d')
    expect(seen.headers['x-multi']).toBe('a, b')
    expect(seen.headers['x-remove']).toBeUndefined()
    expect(r.headers['x-resp']).toBe('yes')
    expect(r.headers['x-upstream']).toBeUndefined()
  })

  it('streams a large request body and a large response body intact', async () => {
    const u = await upstream()
    const gw = await gateway([{ prefix: '/', action: forwardTo(C1) }], [cluster(C1, [{ port: u.port }])])
    const big = Buffer.alloc(2 * 1024 * 1024, 120)
    const r = await http1(port(gw), '/upload', { method: 'POST', body: big })
    expect(JSON.parse(r.body).body.length).toBe(big.length)
    const s = await http1(port(gw), '/stream/64')
    expect(s.body.length).toBe(64 * 16384)
    expect(s.headers.connection).not.toBe('keep-alive')
  })

  it('answers 404 with an empty body when no route matches', async () => {
    const u = await upstream()
    const gw = await gateway(
      [{ prefix: '/status', action: forwardTo(C1) }],
      [cluster(C1, [{ port: u.port }])],
    )
    const r = await http1(port(gw), '/headers')
    expect(r.status).toBe(404)
    expect(r.headers['content-length']).toBe('0')
    expect(r.headers.server).toBe('portico')
    expect(r.body).toBe('')
    expect(u.count).toBe(0)
  })

  it('answers 503 with an empty body for an unknown cluster (NC)', async () => {
    const gw = await gateway([{ prefix: '/', action: forwardTo('outbound|1||nowhere') }], [])
    const r = await http1(port(gw), '/')
    expect(r.status).toBe(503)
    expect(r.body).toBe('')
  })

  it('answers 503 no healthy upstream for a cluster without endpoints (UH)', async () => {
    const gw = await gateway([{ prefix: '/', action: forwardTo(C1) }], [cluster(C1, [])])
    const r = await http1(port(gw), '/')
    expect(r.status).toBe(503)
    expect(r.body).toBe('no healthy upstream')
    expect(r.headers['content-type']).toBe('text/plain')
  })

  it('answers 503 UF when every endpoint refuses, after retrying on another endpoint', async () => {
    const dead = await closedPort()
    const u = await upstream()
    const gw = await gateway(
      [{ prefix: '/', action: forwardTo(C1) }],
      [cluster(C1, [{ port: dead }, { port: u.port }], { loadBalancer: { kind: 'ROUND_ROBIN' } })],
    )
    for (let i = 0; i < 4; i++) {
      const r = await http1(port(gw), '/anything')
      expect(r.status).toBe(200)
    }
    const all = await gateway([{ prefix: '/', action: forwardTo(C2) }], [cluster(C2, [{ port: dead }])])
    const r = await http1(port(all), '/')
    expect(r.status).toBe(503)
    expect(r.body).toMatch(
      /^upstream connect error or disconnect\/reset before headers\. .*reset reason: connection failure/,
    )
  })

  it('does not retry an upstream 503 under the default policy, but does with retryOn 5xx', async () => {
    const u = await upstream()
    const gw = await gateway(
      [
        { prefix: '/status', action: forwardTo(C1) },
        {
          prefix: '/retry',
          rewrite: '/status',
          action: forwardTo(C1, {
            retries: { attempts: 2, retryOn: ['5xx'], retriableStatusCodes: [], isDefault: false },
          }),
        },
      ],
      [cluster(C1, [{ port: u.port }])],
    )
    expect((await http1(port(gw), '/status/503')).status).toBe(503)
    expect(u.count).toBe(1)
    expect((await http1(port(gw), '/retry/503')).status).toBe(503)
    expect(u.count).toBe(4)
    const attempts = u.seen.slice(1).map((s) => s.headers['x-envoy-attempt-count'])
    expect(attempts).toEqual(['1', '2', '3'])
  })

  it('answers 503 on a reset before headers and aborts the response on a reset mid-body', async () => {
    const u = await upstream()
    const gw = await gateway([{ prefix: '/', action: forwardTo(C1) }], [cluster(C1, [{ port: u.port }])])
    const r = await http1(port(gw), '/reset')
    expect(r.status).toBe(503)
    expect(r.body).toMatch(/reset reason: connection termination/)
    await expect(http1(port(gw), '/die-mid-body')).rejects.toThrow()
    expect((await http1(port(gw), '/status/200')).status).toBe(200)
  })

  it('answers 504 upstream request timeout when the route timeout expires', async () => {
    const u = await upstream()
    const gw = await gateway(
      [{ prefix: '/', action: forwardTo(C1, { timeoutMs: 100 }) }],
      [cluster(C1, [{ port: u.port }])],
    )
    const r = await http1(port(gw), '/delay/2000')
    expect(r.status).toBe(504)
    expect(r.body).toBe('upstream request timeout')
    expect(r.headers['x-envoy-upstream-service-time']).toBeUndefined()
  })

  it('retries a per-try timeout when retryOn includes gateway-error', async () => {
    const u = await upstream()
    const gw = await gateway(
      [
        {
          prefix: '/',
          action: forwardTo(C1, {
            retries: {
              attempts: 1,
              perTryTimeoutMs: 100,
              retryOn: ['gateway-error'],
              retriableStatusCodes: [],
              isDefault: false,
            },
          }),
        },
      ],
      [cluster(C1, [{ port: u.port }])],
    )
    const r = await http1(port(gw), '/delay/1000')
    expect(r.status).toBe(504)
    expect(u.count).toBe(2)
  })

  it('answers HTTP/1.0 with 426 and a duplicate Host with 400', async () => {
    const u = await upstream()
    const gw = await gateway([{ prefix: '/', action: forwardTo(C1) }], [cluster(C1, [{ port: u.port }])])
    const { connect } = await import('node:net')
    const raw = (text: string) =>
      new Promise<string>((resolve) => {
        const s = connect(port(gw), '127.0.0.1', () => s.end(text))
        let out = ''
        s.on('data', (d) => (out += d))
        s.on('close', () => resolve(out))
        s.on('error', () => resolve(out))
      })
    expect(await raw('GET / HTTP/1.0\r\nHost: httpbin.example.com\r\n\r\n')).toMatch(/^HTTP\/1\.1 426/)
    expect(
      await raw(
        'GET / HTTP/1.1\r\nHost: httpbin.example.com\r\nHost: evil.example.com\r\nConnection: close\r\n\r\n',
      ),
    ).toMatch(/^HTTP\/1\.1 400/)
    expect(u.count).toBe(0)
  })

  it('routes an absolute-form target by its authority and forwards origin-form', async () => {
    const u = await upstream()
    const gw = await gateway([{ prefix: '/', action: forwardTo(C1) }], [cluster(C1, [{ port: u.port }])])
    const r = await http1(port(gw), 'http://httpbin.example.com/abs?q=1', { host: 'other.example.com' })
    expect(r.status).toBe(200)
    const seen = JSON.parse(r.body)
    expect(seen.url).toBe('/abs?q=1')
    expect(seen.headers.host).toBe('httpbin.example.com')
    const miss = await http1(port(gw), 'http://other.example.com/abs', { host: 'httpbin.example.com' })
    expect(miss.status).toBe(404)
  })

  it('answers 502 for a malformed upstream response and keeps serving', async () => {
    const { createServer } = await import('node:net')
    const bad = createServer((s) => {
      s.on('error', () => {})
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabc'))
    })
    await new Promise<void>((resolve) => bad.listen(0, '127.0.0.1', resolve))
    cleanup.push(() => new Promise<void>((resolve) => bad.close(() => resolve())))
    const badPort = (bad.address() as { port: number }).port
    const u = await upstream()
    const gw = await gateway(
      [
        { prefix: '/bad', action: forwardTo(C2) },
        { prefix: '/', action: forwardTo(C1) },
      ],
      [cluster(C1, [{ port: u.port }]), cluster(C2, [{ port: badPort }])],
    )
    const r = await http1(port(gw), '/bad')
    expect(r.status).toBe(502)
    expect(r.body).toMatch(/reset reason: protocol error/)
    expect((await http1(port(gw), '/status/200')).status).toBe(200)
  })

  it('stops sending to an endpoint that outlier detection ejected', async () => {
    const good = await upstream('good')
    const { createServer } = await import('node:http')
    let badCount = 0
    const bad = createServer((_req, res) => {
      badCount++
      res.writeHead(500).end()
    })
    await new Promise<void>((resolve) => bad.listen(0, '127.0.0.1', resolve))
    cleanup.push(() => new Promise<void>((resolve) => bad.close(() => resolve())))
    bad.on('connection', (s) => cleanup.push(async () => void s.destroy()))
    const gw = await gateway(
      [
        {
          prefix: '/',
          action: forwardTo(C1, {
            retries: { attempts: 0, retryOn: [], retriableStatusCodes: [], isDefault: false },
          }),
        },
      ],
      [
        cluster(C1, [{ port: good.port }, { port: (bad.address() as { port: number }).port }], {
          loadBalancer: { kind: 'ROUND_ROBIN' },
          outlierDetection: {
            consecutive5xxErrors: 2,
            intervalMs: 1000,
            baseEjectionTimeMs: 30_000,
            maxEjectionPercent: 50,
          },
        }),
      ],
    )
    const statuses: number[] = []
    for (let i = 0; i < 10; i++) statuses.push((await http1(port(gw), '/anything')).status)
    // Round robin sends the 1st and 2nd 500 to the bad endpoint, which is then ejected.
    expect(badCount).toBe(2)
    expect(statuses.filter((s) => s === 500).length).toBe(2)
    expect(statuses.slice(4).every((s) => s === 200)).toBe(true)
  })

  it('answers 503 overflow beyond maxConnections + maxPendingRequests (UO)', async () => {
    const u = await upstream()
    const gw = await gateway(
      [{ prefix: '/', action: forwardTo(C1) }],
      [cluster(C1, [{ port: u.port }], { maxConnections: 1, maxPendingRequests: 1 })],
    )
    const replies = await Promise.all(Array.from({ length: 4 }, () => http1(port(gw), '/delay/300')))
    const statuses = replies.map((r) => r.status).sort()
    expect(statuses).toEqual([200, 200, 503, 503])
    expect(replies.find((r) => r.status === 503)?.body).toBe(
      'upstream connect error or disconnect/reset before headers. reset reason: overflow',
    )
  })
})
