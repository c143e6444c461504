import { createServer as createNetServer, connect as netConnect, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls'
import type { CompiledServer, TcpRouteEntry, TlsRouteEntry } from '@portico/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createGateway } from '../gateway.js'
import {
  cluster,
  config,
  destination,
  listener,
  passthroughServer,
  selfSigned,
  testRoute,
} from '../test/config.js'

const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const sockets = new Set<Socket>()
  server.on('connection', (s: Socket) => sockets.add(s))
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  )
  return (server.address() as { port: number }).port
}

const origin = { virtualService: { kind: 'VirtualService', namespace: 'default', name: 'l4' }, routeIndex: 0 }

describe('TLS passthrough and TCP', () => {
  it('routes by SNI without terminating: the client sees the upstream certificate', async () => {
    const names = ['p.example.com', 'q.example.com']
    const ports: number[] = []
    for (const name of names) {
      const cert = selfSigned([name])
      ports.push(
        await listen(
          createTlsServer({ cert: cert.cert, key: cert.key }, (s) => {
            s.on('error', () => {})
            s.end(`hello from ${name}`)
          }),
        ),
      )
    }
    const entries: TlsRouteEntry[] = names.map((name) => ({
      origin,
      sniHosts: [name],
      destinations: [destination(`outbound|443||${name}`)],
      cumulativeWeights: [100],
    }))
    const gw = await createGateway({
      config: config(
        [listener(443, 'TLS', [passthroughServer(names, entries)])],
        names.map((name, i) => cluster(`outbound|443||${name}`, [{ port: ports[i]! }])),
      ),
      ports: { 443: 0 },
      route: testRoute,
      drainTimeoutMs: 200,
    })
    cleanup.push(() => gw.close())
    const port = gw.addresses[443]!.port
    const talk = (servername: string) =>
      new Promise<{ cn: unknown; text: string } | 'handshake failed'>((resolve) => {
        const s = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false })
        let text = ''
        let secure = false
        let cn: unknown
        s.on('secureConnect', () => {
          secure = true
          cn = s.getPeerCertificate()?.subject?.CN
        })
        s.on('data', (d) => (text += d))
        s.on('error', () => {})
        s.on('close', () => resolve(secure ? { cn, text } : 'handshake failed'))
      })
    expect(await talk('p.example.com')).toEqual({ cn: 'p.example.com', text: 'hello from p.example.com' })
    expect(await talk('q.example.com')).toEqual({ cn: 'q.example.com', text: 'hello from q.example.com' })
    expect(await talk('r.example.com')).toBe('handshake failed')
  })

  it('proxies raw TCP both ways', async () => {
    const echo = await listen(createNetServer((s) => s.pipe(s)))
    const tcp: TcpRouteEntry = {
      origin,
      destinations: [destination('outbound|9000||echo')],
      cumulativeWeights: [100],
    }
    const server: CompiledServer = {
      name: 'tcp.9000',
      gateways: [],
      hosts: ['*'],
      protocol: 'TCP',
      httpsRedirect: false,
      tcp,
    }
    const gw = await createGateway({
      config: config([listener(9000, 'TCP', [server])], [cluster('outbound|9000||echo', [{ port: echo }])]),
      ports: { 9000: 0 },
      route: testRoute,
      drainTimeoutMs: 200,
    })
    cleanup.push(() => gw.close())
    const payload = Buffer.alloc(512 * 1024, 7)
    const back = await new Promise<number>((resolve, reject) => {
      const s = netConnect(gw.addresses[9000]!.port, '127.0.0.1', () => s.write(payload))
      let n = 0
      s.on('data', (d: Buffer) => {
        n += d.length
        if (n >= payload.length) {
          s.destroy()
          resolve(n)
        }
      })
      s.on('error', reject)
    })
    expect(back).toBe(payload.length)
  })
})
