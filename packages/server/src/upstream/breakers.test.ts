import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { parseResources } from '@portico/core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createGateway, type Gateway } from '../gateway.js'
import { http1, type Reply } from '../test/config.js'
import { eventually, recordEnds } from '../test/hostile.js'
import { serviceYaml } from '../test/service.js'

/**
 * Envoy's circuit breakers from DestinationRule connectionPool, over real sockets: an upstream
 * that holds every request until the test releases it, so that "full" is a state, not a race.
 */

/** An upstream that answers only when released, counting what it sees. */
class HoldingUpstream {
  readonly server: Server
  readonly held: ServerResponse[] = []
  seen = 0
  connections = 0
  maxConnections = 0
  readonly #sockets = new Set<Socket>()

  constructor() {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      this.seen++
      req.resume()
      if (req.url?.startsWith('/fail')) {
        res.writeHead(503, { 'content-length': '4' })
        return void res.end('fail')
      }
      this.held.push(res)
    })
    this.server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket)
      this.connections++
      this.maxConnections = Math.max(this.maxConnections, this.connections)
      socket.once('close', () => {
        this.#sockets.delete(socket)
        this.connections--
      })
    })
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    return (this.server.address() as AddressInfo).port
  }

  /** Answers every held request with 200. */
  release(): void {
    for (const res of this.held.splice(0)) {
      res.writeHead(200, { 'content-length': '2' })
      res.end('ok')
    }
  }

  close(): Promise<void> {
    this.release()
    for (const socket of this.#sockets) socket.destroy()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

function get(port: number, path: string): Promise<Reply> {
  return http1(port, path, { host: 'svc.example.com' })
}

function yaml(upstreamPort: number, connectionPool: string, route = ''): string {
  return serviceYaml('svc', upstreamPort, {
    route,
    extra: `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: svc }
spec:
  host: svc.default.svc.cluster.local
  trafficPolicy:
    connectionPool:
${connectionPool}
`,
  })
}

const OVERFLOW = 'upstream connect error or disconnect/reset before headers. reset reason: overflow'

describe('circuit breakers (DestinationRule connectionPool)', () => {
  let upstream: HoldingUpstream
  let upstreamPort: number
  let gw: Gateway | undefined
  const ends = recordEnds()
  beforeAll(async () => {
    upstream = new HoldingUpstream()
    upstreamPort = await upstream.start()
  })
  afterEach(async () => {
    upstream.release()
    await gw?.close()
    gw = undefined
    upstream.seen = 0
    upstream.maxConnections = upstream.connections
    ends.events.length = 0
  })
  afterAll(async () => {
    ends.stop()
    await upstream.close()
  })

  async function serve(connectionPool: string, http = ''): Promise<number> {
    const { resources, diagnostics } = parseResources(
      yaml(upstreamPort, connectionPool, http),
      'breakers.yaml',
    )
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([])
    gw = await createGateway({ config: { resources }, ports: { 80: 0, 8080: 0 }, drainTimeoutMs: 200 })
    return gw.addresses[80]!.port
  }

  const flagsOf = (status: number) =>
    ends.events.filter((e) => e.responseCode === status).map((e) => e.responseFlags)

  it('http1MaxPendingRequests: beyond maxConnections and the pending queue, 503 UO at once; the queued request is served', async () => {
    const port = await serve(`      tcp: { maxConnections: 1 }
      http: { http1MaxPendingRequests: 1 }`)
    const first = get(port, '/a')
    expect(await eventually(() => upstream.held.length === 1)).toBe(true)
    const later = [get(port, '/b'), get(port, '/c')]
    // One of the two waits for the only connection; the other overflows while /a is still held.
    const overflowed = await Promise.race(later)
    expect(overflowed.status).toBe(503)
    expect(overflowed.body).toBe(OVERFLOW)
    expect(overflowed.headers['x-envoy-overloaded']).toBe('true')
    expect(upstream.held.length).toBe(1)
    upstream.release()
    expect((await first).status).toBe(200)
    expect(await eventually(() => upstream.held.length === 1)).toBe(true)
    upstream.release()
    const statuses = (await Promise.all(later)).map((a) => a.status).sort()
    expect(statuses).toEqual([200, 503])
    expect(upstream.seen).toBe(2)
    expect(await eventually(() => flagsOf(503).length === 1)).toBe(true)
    expect(flagsOf(503)[0]).toContain('UO')
  })

  it('maxConnections: requests beyond it wait for a connection (no limit on waiting), never more connections', async () => {
    const port = await serve(`      tcp: { maxConnections: 2 }`)
    const answers = Array.from({ length: 6 }, (_, i) => get(port, `/${i}`))
    expect(await eventually(() => upstream.held.length === 2)).toBe(true)
    // The others wait; the upstream never sees a third connection.
    while (upstream.seen < 6) {
      const before = upstream.seen
      upstream.release()
      expect(await eventually(() => upstream.seen > before || upstream.seen === 6)).toBe(true)
    }
    upstream.release()
    expect((await Promise.all(answers)).map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200])
    expect(upstream.maxConnections).toBeLessThanOrEqual(2)
  })

  it('http2MaxRequests limits requests in flight over HTTP/1.1 too: the next one gets 503 UO', async () => {
    const port = await serve(`      http: { http2MaxRequests: 2 }`)
    const held = [get(port, '/a'), get(port, '/b')]
    expect(await eventually(() => upstream.held.length === 2)).toBe(true)
    const third = await get(port, '/c')
    expect([third.status, third.body, third.headers['x-envoy-overloaded']]).toEqual([503, OVERFLOW, 'true'])
    upstream.release()
    expect((await Promise.all(held)).map((a) => a.status)).toEqual([200, 200])
    // The slots are free again.
    const again = get(port, '/d')
    expect(await eventually(() => upstream.held.length === 1)).toBe(true)
    upstream.release()
    expect((await again).status).toBe(200)
  })

  it('maxRetries: a retry beyond the outstanding retries is not made; the upstream answer goes back, flagged UO', async () => {
    const retries = `    retries: { attempts: 3, retryOn: 5xx }`
    const port = await serve(`      http: { maxRetries: 1 }`, retries)
    // The first attempt of /hold is answered 503 by hand; its retry takes the only retry slot and
    // is held, so that the retry stays outstanding.
    const holding = get(port, '/hold')
    expect(await eventually(() => upstream.held.length === 1)).toBe(true)
    upstream.held.splice(0)[0]!.writeHead(503, { 'content-length': '0' }).end()
    expect(await eventually(() => upstream.held.length === 1)).toBe(true)
    // Now one retry is outstanding: a failing request is not retried.
    const seen = upstream.seen
    const failed = await get(port, '/fail')
    expect([failed.status, failed.body]).toEqual([503, 'fail'])
    expect(upstream.seen).toBe(seen + 1)
    expect(failed.headers['x-envoy-overloaded']).toBeUndefined()
    upstream.release()
    expect((await holding).status).toBe(200)
    expect(await eventually(() => flagsOf(503).length === 1)).toBe(true)
    expect(flagsOf(503)[0]).toContain('UO')
    // The slot is back: the same failing request is retried (1 + 3 attempts).
    const before = upstream.seen
    expect((await get(port, '/fail')).status).toBe(503)
    expect(upstream.seen).toBe(before + 4)
  })

  it('a queued request times out cleanly at the route timeout (504 UT) and gives its place back', async () => {
    const port = await serve(
      `      tcp: { maxConnections: 1 }
      http: { http1MaxPendingRequests: 1 }`,
      `    timeout: 0.3s`,
    )
    const first = get(port, '/a')
    expect(await eventually(() => upstream.held.length === 1)).toBe(true)
    // /a itself is held past the timeout as well; /b waits in the queue and times out there.
    const queued = await get(port, '/b')
    expect([queued.status, queued.body]).toEqual([504, 'upstream request timeout'])
    expect((await first).status).toBe(504)
    // When /a's attempt was reset, the queued /b took the connection's place and may reach the
    // upstream only now, after its own 504: wait for /c by path, not by count.
    // Nothing leaked: a request queues (it would overflow if /b still held the place) and is served.
    const next = get(port, '/c')
    expect(await eventually(() => upstream.held.some((res) => res.req.url === '/c'))).toBe(true)
    upstream.release()
    expect((await next).status).toBe(200)
  })
})
