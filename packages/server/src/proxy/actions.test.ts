import { connect as h2connect } from 'node:http2'
import type { CorsSpec, RouteActionSpec } from '@portico/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createGateway, type Gateway } from '../gateway.js'
import {
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

const C1 = 'outbound|8000||one'
const C2 = 'outbound|8000||two'
const MIRROR = 'outbound|8000||mirror'

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
  h2c = false,
): Promise<number> {
  const gw: Gateway = await createGateway({
    config: config([listener(80, 'HTTP', [httpServer('http.80', ['*'], routes)], h2c)], clusters),
    ports: { 80: 0 },
    route: testRoute,
    drainTimeoutMs: 200,
  })
  cleanup.push(() => gw.close())
  return gw.addresses[80]!.port
}

const forwardTo = (name: string, more = {}): RouteActionSpec => ({
  kind: 'route',
  route: forwardSpec({ destinations: [destination(name)], ...more }),
})

const cors: CorsSpec = {
  allowsOrigin: (o) => o === 'https://app.example.com',
  allowMethods: 'GET,POST',
  allowHeaders: 'x-custom,content-type',
  exposeHeaders: 'x-upstream',
  maxAgeSeconds: 86400,
  allowCredentials: true,
  unmatchedPreflights: 'FORWARD',
}

describe('route actions', () => {
  it('redirect: Location and status, empty body, route response headers', async () => {
    const port = await gateway(
      [
        {
          prefix: '/old',
          action: {
            kind: 'redirect',
            redirect: {
              uri: '/new',
              authority: 'www.example.com',
              status: 308,
              headers: { ...noOps, response: { set: [['x-redirected', '1']], add: [], remove: [] } },
            },
          },
        },
      ],
      [],
    )
    const r = await http1(port, '/old')
    expect(r.status).toBe(308)
    expect(r.headers.location).toBe('http://www.example.com/new')
    expect(r.headers['x-redirected']).toBe('1')
    expect(r.headers['content-length']).toBe('0')
    expect(r.headers['x-envoy-upstream-service-time']).toBeUndefined()
    expect(r.body).toBe('')
  })

  it('directResponse: text/plain when a body has no content type; configured type otherwise', async () => {
    const port = await gateway(
      [
        {
          prefix: '/plain',
          action: { kind: 'directResponse', status: 418, body: Buffer.from('teapot'), headers: noOps },
        },
        {
          prefix: '/json',
          action: {
            kind: 'directResponse',
            status: 200,
            body: Buffer.from('{"a":1}'),
            headers: {
              ...noOps,
              response: { set: [['content-type', 'application/json']], add: [], remove: [] },
            },
          },
        },
        { prefix: '/empty', action: { kind: 'directResponse', status: 204, headers: noOps } },
      ],
      [],
    )
    const plain = await http1(port, '/plain')
    expect([plain.status, plain.body, plain.headers['content-type'], plain.headers.server]).toEqual([
      418,
      'teapot',
      'text/plain',
      'portico',
    ])
    const json = await http1(port, '/json')
    expect(json.headers['content-type']).toBe('application/json')
    expect(json.body).toBe('{"a":1}')
    const empty = await http1(port, '/empty')
    expect(empty.status).toBe(204)
    expect(empty.headers['content-type']).toBeUndefined()
  })

  it('fault abort at 100% answers locally and never reaches the upstream; 0% never aborts', async () => {
    const u = await upstream()
    const port = await gateway(
      [
        { prefix: '/abort', action: forwardTo(C1, { fault: { abort: { status: 503, percent: 100 } } }) },
        { prefix: '/never', action: forwardTo(C1, { fault: { abort: { status: 503, percent: 0 } } }) },
      ],
      [cluster(C1, [{ port: u.port }])],
    )
    const r = await http1(port, '/abort')
    expect([r.status, r.body, r.headers['content-type']]).toEqual([503, 'fault filter abort', 'text/plain'])
    expect(u.count).toBe(0)
    for (let i = 0; i < 10; i++) expect((await http1(port, '/never')).status).toBe(200)
  })

  it('fault delay holds the request before forwarding', async () => {
    const u = await upstream()
    const port = await gateway(
      [{ prefix: '/', action: forwardTo(C1, { fault: { delay: { ms: 600, percent: 100 } } }) }],
      [cluster(C1, [{ port: u.port }])],
    )
    const pending = http1(port, '/slow')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(u.count).toBe(0)
    expect((await pending).status).toBe(200)
    expect(u.count).toBe(1)
  })

  it('mirrors a copy fire-and-forget; a dead mirror never fails the request', async () => {
    const u = await upstream('primary')
    const m = await upstream('mirror')
    const mirrors = [{ clusterName: MIRROR, host: 'mirror', percent: 100 }]
    const port = await gateway(
      [
        { prefix: '/m', action: forwardTo(C1, { mirrors }) },
        {
          prefix: '/dead',
          action: forwardTo(C1, { mirrors: [{ clusterName: C2, host: 'dead', percent: 100 }] }),
        },
      ],
      [cluster(C1, [{ port: u.port }]), cluster(MIRROR, [{ port: m.port }]), cluster(C2, [{ port: 1 }])],
    )
    const r = await http1(port, '/m/post', { method: 'POST', body: 'payload' })
    expect(r.headers['x-upstream']).toBe('primary')
    for (let i = 0; i < 50 && m.seen.length === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10))
    expect(m.seen[0]?.url).toBe('/m/post')
    expect(m.seen[0]?.method).toBe('POST')
    expect(m.seen[0]?.body).toBe('payload')
    expect((await http1(port, '/dead')).status).toBe(200)
  })

  it('CORS: an allowed preflight is answered at the gateway; actual responses carry the headers', async () => {
    const u = await upstream()
    const port = await gateway(
      [{ prefix: '/', action: forwardTo(C1, { cors }) }],
      [cluster(C1, [{ port: u.port }])],
    )
    const pre = await http1(port, '/api', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-custom',
      },
    })
    expect(pre.status).toBe(200)
    expect(pre.body).toBe('')
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example.com')
    expect(pre.headers['access-control-allow-methods']).toBe('GET,POST')
    expect(pre.headers['access-control-allow-headers']).toBe('x-custom,content-type')
    expect(pre.headers['access-control-max-age']).toBe('86400')
    expect(pre.headers['access-control-allow-credentials']).toBe('true')
    expect(u.count).toBe(0)

    const actual = await http1(port, '/api', { headers: { origin: 'https://app.example.com' } })
    expect(actual.headers['access-control-allow-origin']).toBe('https://app.example.com')
    expect(actual.headers['access-control-expose-headers']).toBe('x-upstream')

    const foreign = await http1(port, '/api', { headers: { origin: 'https://evil.example.com' } })
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined()
    // A preflight from a foreign origin is forwarded (FORWARD is the default).
    await http1(port, '/api', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
    })
    expect(u.seen.at(-1)?.method).toBe('OPTIONS')
  })

  it('splits traffic by destination weights; weight 0 gets nothing', async () => {
    const a = await upstream('a')
    const b = await upstream('b')
    const c = await upstream('c')
    const C3 = 'outbound|8000||three'
    const port = await gateway(
      [
        {
          prefix: '/',
          action: {
            kind: 'route',
            route: forwardSpec({
              destinations: [destination(C1, 1), destination(C2, 3), destination(C3, 0)],
            }),
          },
        },
      ],
      [cluster(C1, [{ port: a.port }]), cluster(C2, [{ port: b.port }]), cluster(C3, [{ port: c.port }])],
    )
    for (let i = 0; i < 200; i++) await http1(port, '/')
    expect(c.count).toBe(0)
    expect(a.count + b.count).toBe(200)
    expect(a.count).toBeGreaterThan(20)
    expect(b.count).toBeGreaterThan(a.count)
  })

  it('serves HTTP/2 prior knowledge (h2c) next to HTTP/1.1 on an HTTP2 listener', async () => {
    const u = await upstream()
    const port = await gateway(
      [{ prefix: '/', action: forwardTo(C1) }],
      [cluster(C1, [{ port: u.port }])],
      true,
    )
    const result = await new Promise<{ status: number; body: string; connection: unknown }>(
      (resolve, reject) => {
        const session = h2connect(`http://127.0.0.1:${port}`)
        session.on('error', reject)
        const req = session.request({ ':path': '/h2c', ':authority': 'h2c.example.com' })
        let status = 0
        let connection: unknown
        let body = ''
        req.on('response', (h) => {
          status = Number(h[':status'])
          connection = h.connection ?? h['keep-alive']
        })
        req.on('data', (d: Buffer) => (body += d))
        req.on('end', () => {
          session.close()
          resolve({ status, body, connection })
        })
        req.end()
      },
    )
    expect(result.status).toBe(200)
    expect(result.connection).toBeUndefined()
    const seen = JSON.parse(result.body)
    expect(seen.httpVersion).toBe('1.1')
    expect(seen.headers.host).toBe('h2c.example.com')
    expect((await http1(port, '/h1')).status).toBe(200)
  })
})
