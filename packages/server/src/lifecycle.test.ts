import { afterEach, describe, expect, it } from 'vitest'
import { createGateway } from './gateway.js'
import {
  cluster,
  config,
  destination,
  forwardSpec,
  http1,
  httpServer,
  listener,
  startUpstream,
  testRoute,
  type Upstream,
} from './test/config.js'

const C = 'outbound|8000||backend'
const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

function httpConfig(upstreamPort: number, header?: string) {
  const ops = {
    request: { set: [], add: [], remove: [] },
    response: { set: header ? [['x-config', header] as const] : [], add: [], remove: [] },
  }
  return config(
    [
      listener(80, 'HTTP', [
        httpServer(
          'http.80',
          ['*'],
          [
            {
              prefix: '/',
              action: { kind: 'route', route: forwardSpec({ destinations: [destination(C)], headers: ops }) },
            },
          ],
        ),
      ]),
    ],
    [cluster(C, [{ port: upstreamPort }])],
  )
}

async function upstream(): Promise<Upstream> {
  const u = await startUpstream()
  cleanup.push(() => u.close())
  return u
}

describe('gateway lifecycle', () => {
  it('lets an in-flight request finish on close, then refuses connections', async () => {
    const u = await upstream()
    const gw = await createGateway({ config: httpConfig(u.port), ports: { 80: 0 }, route: testRoute })
    const port = gw.addresses[80]!.port
    const slow = http1(port, '/delay/300')
    while (u.count === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    const closed = gw.close()
    expect((await slow).status).toBe(200)
    await closed
    await expect(http1(port, '/')).rejects.toThrow()
  })

  it('update() swaps the config atomically: in-flight requests finish on the config they started with', async () => {
    const u = await upstream()
    const gw = await createGateway({ config: httpConfig(u.port, 'one'), ports: { 80: 0 }, route: testRoute })
    cleanup.push(() => gw.close())
    const port = gw.addresses[80]!.port
    const inflight = http1(port, '/delay/200')
    while (u.count === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    await gw.update(httpConfig(u.port, 'two'))
    expect((await inflight).headers['x-config']).toBe('one')
    expect((await http1(port, '/')).headers['x-config']).toBe('two')
    expect(gw.addresses[80]!.port).toBe(port)
  })

  it('cancels the upstream request when the client goes away', async () => {
    const u = await upstream()
    const gw = await createGateway({ config: httpConfig(u.port), ports: { 80: 0 }, route: testRoute })
    cleanup.push(() => gw.close())
    const { request } = await import('node:http')
    await new Promise<void>((resolve) => {
      const req = request({
        host: '127.0.0.1',
        port: gw.addresses[80]!.port,
        path: '/stream/100000',
        agent: false,
      })
      req.on('response', (res) => {
        res.once('data', () => {
          req.destroy()
          resolve()
        })
      })
      req.on('error', () => {})
      req.end()
    })
    // The upstream response is cut off long before its 100000 chunks are sent.
    for (let i = 0; i < 100 && u.aborted === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(u.aborted).toBe(1)
    expect((await http1(gw.addresses[80]!.port, '/status/200')).status).toBe(200)
  })

  it('closes when its AbortSignal aborts, and supports await using', async () => {
    const u = await upstream()
    const controller = new AbortController()
    const gw = await createGateway({
      config: httpConfig(u.port),
      ports: { 80: 0 },
      route: testRoute,
      signal: controller.signal,
    })
    const port = gw.addresses[80]!.port
    expect((await http1(port, '/')).status).toBe(200)
    controller.abort()
    await gw.close()
    await expect(http1(port, '/')).rejects.toThrow()
    {
      await using scoped = await createGateway({
        config: httpConfig(u.port),
        ports: { 80: 0 },
        route: testRoute,
      })
      expect((await http1(scoped.addresses[80]!.port, '/')).status).toBe(200)
    }
  })

  it('reports a port that cannot be bound with PTC4104', async () => {
    const u = await upstream()
    const first = await createGateway({ config: httpConfig(u.port), ports: { 80: 0 }, route: testRoute })
    cleanup.push(() => first.close())
    const taken = first.addresses[80]!.port
    const error = await createGateway({
      config: httpConfig(u.port),
      ports: { 80: taken },
      route: testRoute,
    }).catch((e: unknown) => e)
    expect((error as { code?: string }).code).toBe('PTC4104')
  })
})
