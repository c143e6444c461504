import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { parseResources, type RetryPolicy } from '@portico/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createManagedGateway } from '../admin/managed.js'
import { type HandlerContext, handleRequest } from '../downstream/handler.js'
import {
  cluster,
  config,
  destination,
  forwardSpec,
  http1,
  httpServer,
  listener,
  testRoute,
} from '../test/config.js'
import { serviceYaml } from '../test/service.js'
import { silentLogger } from '../types.js'
import { UpstreamPools } from '../upstream/pools.js'
import { Balancer } from './balancer.js'

/**
 * Retries over real sockets: an upstream that answers 503 to the first attempts of each path and
 * 200 afterwards, and records when every attempt arrived.
 */
interface Arrival {
  readonly at: number
  readonly attempt: string
  /** Request fields named x-envoy-* other than the attempt count. */
  readonly envoy: string[]
}

interface FlakyUpstream {
  readonly port: number
  /** Arrival times (performance.now()) and x-envoy-attempt-count of every request, by path. */
  readonly arrivals: Map<string, Arrival[]>
  close(): Promise<void>
}

async function flakyUpstream(failures: number): Promise<FlakyUpstream> {
  const arrivals = new Map<string, Arrival[]>()
  const sockets = new Set<Socket>()
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/'
    const list = arrivals.get(path) ?? []
    arrivals.set(path, list)
    list.push({
      at: performance.now(),
      attempt: String(req.headers['x-envoy-attempt-count']),
      envoy: Object.keys(req.headers).filter(
        (h) => h.startsWith('x-envoy-') && h !== 'x-envoy-attempt-count',
      ),
    })
    req.resume()
    req.once('end', () => {
      if (list.length <= failures) res.writeHead(503, { 'content-length': '4' }).end('down')
      else res.writeHead(200, { 'content-length': '2' }).end('up')
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    arrivals,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

const C1 = 'outbound|8000||svc.default.svc.cluster.local'

describe('retry back-off between attempts', () => {
  it('waits the drawn back-off before each retry: with draws at the top of the range, attempts are at least base × 2^n − 1 ms apart', async () => {
    const upstream = await flakyUpstream(2)
    cleanup.push(() => upstream.close())
    const retries: RetryPolicy = {
      attempts: 2,
      retryOn: ['5xx'],
      retriableStatusCodes: [],
      isDefault: false,
      backoffBaseMs: 60,
    }
    const compiled = config(
      [
        listener(80, 'HTTP', [
          httpServer(
            'http.80',
            ['svc.example.com'],
            [
              {
                prefix: '/',
                action: {
                  kind: 'route',
                  route: forwardSpec({ destinations: [destination(C1)], retries }),
                },
              },
            ],
          ),
        ]),
      ],
      [cluster(C1, [{ port: upstream.port }])],
    )
    const pools = new UpstreamPools()
    // The injected source draws just below 1: every wait is the largest of its range.
    const ctx: HandlerContext = {
      current: () => compiled,
      route: testRoute,
      pools,
      balancer: new Balancer(),
      serverHeader: 'portico',
      logger: silentLogger,
      acceptHttp10: false,
      random: () => 0.999_999,
    }
    const front = createServer((req, res) => handleRequest(ctx, { port: 80, scheme: 'http' }, req, res))
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve))
    cleanup.push(async () => {
      await pools.close(true)
      front.closeAllConnections()
      await new Promise<void>((resolve) => front.close(() => resolve()))
    })

    const r = await http1((front.address() as AddressInfo).port, '/spaced', {
      headers: { host: 'svc.example.com' },
    })
    expect([r.status, r.body]).toEqual([200, 'up'])
    const seen = upstream.arrivals.get('/spaced') ?? []
    expect(seen.map((a) => a.attempt)).toEqual(['1', '2', '3'])
    // Waits of 59 ms (range [0, 60)) then 119 ms (range [0, 120)); a timer may fire up to a
    // millisecond early against performance.now(), hence the one-millisecond allowance.
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(59 - 1)
    expect(seen[2]!.at - seen[1]!.at).toBeGreaterThanOrEqual(119 - 1)
  })

  it('a VirtualService with retries.backoff retries to success end to end', async () => {
    const upstream = await flakyUpstream(2)
    cleanup.push(() => upstream.close())
    const { resources, diagnostics } = parseResources(
      serviceYaml('svc', upstream.port, {
        route: '    retries: { attempts: 3, retryOn: 5xx, backoff: 5ms }',
      }),
      'retry.yaml',
    )
    expect(diagnostics).toEqual([])
    const gw = await createManagedGateway({ resources, ports: { 80: 0, 8080: 0 }, drainTimeoutMs: 200 })
    cleanup.push(() => gw.close())
    const r = await http1(gw.addresses[80]!.port, '/flaky', { headers: { host: 'svc.example.com' } })
    expect([r.status, r.body]).toEqual([200, 'up'])
    expect((upstream.arrivals.get('/flaky') ?? []).map((a) => a.attempt)).toEqual(['1', '2', '3'])
  })

  it('x-envoy-retry-on and its kin from a client are neither honoured nor forwarded (Envoy strips them from external requests)', async () => {
    const upstream = await flakyUpstream(1)
    cleanup.push(() => upstream.close())
    const { resources } = parseResources(
      serviceYaml('svc', upstream.port, { route: '    retries: { attempts: 0 }' }),
      'retry.yaml',
    )
    const gw = await createManagedGateway({ resources, ports: { 80: 0, 8080: 0 }, drainTimeoutMs: 200 })
    cleanup.push(() => gw.close())
    const r = await http1(gw.addresses[80]!.port, '/asked', {
      headers: {
        host: 'svc.example.com',
        'x-envoy-retry-on': '5xx',
        'x-envoy-retry-grpc-on': 'unavailable',
        'x-envoy-max-retries': '3',
        'x-envoy-retriable-status-codes': '503',
        'x-envoy-upstream-rq-per-try-timeout-ms': '10',
      },
    })
    expect([r.status, r.body]).toEqual([503, 'down'])
    expect(upstream.arrivals.get('/asked')?.map((a) => a.envoy)).toEqual([[]])
  })
})
