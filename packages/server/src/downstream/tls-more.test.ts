import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { connect as connectH2 } from 'node:http2'
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https'
import type { ServerTls } from '@portico/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CHANNELS, type RequestEndEvent } from '../events/index.js'
import { createGateway } from '../gateway.js'
import {
  cluster,
  config,
  destination,
  forwardSpec,
  http1,
  httpServer,
  listener,
  startUpstream,
  testCa,
  testRoute,
} from '../test/config.js'

const C = 'outbound|8000||backend'
const ca = testCa()
const otherCa = testCa('Other CA')
const serverCert = ca.issue(['a.example.com', 'upstream.internal'])
const client = ca.issue(['client.example.com'])
const foreign = otherCa.issue(['client.example.com'])
const file = (path: string) => ({ kind: 'file', path }) as const

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

const route = [
  { prefix: '/', action: { kind: 'route', route: forwardSpec({ destinations: [destination(C)] }) } } as const,
]

function tls(extra: Partial<ServerTls> = {}): ServerTls {
  return {
    mode: 'SIMPLE',
    certificate: file(serverCert.certFile),
    privateKey: file(serverCert.keyFile),
    subjectAltNames: [],
    minVersion: 'TLSv1.2',
    ...extra,
  }
}

function get(
  port: number,
  servername: string | undefined,
  cert?: { cert: string; key: string },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        agent: false,
        ...(servername === undefined ? {} : { servername }),
        ca: ca.cert,
        checkServerIdentity: () => undefined,
        headers: { host: 'a.example.com' },
        ...(cert ? { cert: cert.cert, key: cert.key } : {}),
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** A gateway whose port 443 has one terminating server for `hosts`, in front of a fresh upstream. */
async function tlsGateway(hosts: string[], settings: ServerTls): Promise<number> {
  const u = await startUpstream()
  cleanup.push(() => u.close())
  const gw = await createGateway({
    config: config(
      [listener(443, 'HTTPS', [httpServer('https.443', hosts, route, settings)])],
      [cluster(C, [{ port: u.port }])],
    ),
    ports: { 443: 0 },
    route: testRoute,
    drainTimeoutMs: 200,
  })
  cleanup.push(() => gw.close())
  return gw.addresses[443]!.port
}

describe('TLS details', () => {
  it('OPTIONAL_MUTUAL accepts no certificate, accepts a valid one, refuses a foreign one', async () => {
    const port = await tlsGateway(
      ['a.example.com'],
      tls({ mode: 'OPTIONAL_MUTUAL', caCertificates: file(ca.certFile) }),
    )
    expect(await get(port, 'a.example.com')).toBe(200)
    expect(await get(port, 'a.example.com', client)).toBe(200)
    await expect(get(port, 'a.example.com', foreign)).rejects.toThrow()
  })

  it('a `*` server accepts a ClientHello without SNI; without one, no SNI fails', async () => {
    const port = await tlsGateway(['*'], tls())
    expect(await get(port, undefined)).toBe(200)
    expect(await get(port, 'anything.example.com')).toBe(200)
  })

  it("each HTTP/2 stream over TLS is observed with its connection's addresses and SNI", async () => {
    const port = await tlsGateway(['a.example.com'], tls())
    const seen = new Map<string, RequestEndEvent>()
    const onEnd = (message: unknown) => {
      const event = message as RequestEndEvent
      if (event.path.startsWith('/observed/')) seen.set(event.path, event)
    }
    subscribe(CHANNELS.requestEnd, onEnd)
    cleanup.push(async () => void unsubscribe(CHANNELS.requestEnd, onEnd))
    const session = connectH2(`https://127.0.0.1:${port}`, {
      servername: 'a.example.com',
      ca: ca.cert,
      checkServerIdentity: () => undefined,
    })
    cleanup.push(async () => void session.destroy())
    const localPorts = new Set<number>()
    for (const path of ['/observed/1', '/observed/2', '/observed/3']) {
      const status = await new Promise<number>((resolve, reject) => {
        const stream = session.request({ ':path': path, ':authority': 'a.example.com' })
        let code = 0
        stream.on('response', (h) => {
          code = Number(h[':status'])
        })
        stream.on('error', reject)
        stream.resume()
        stream.on('close', () => resolve(code))
      })
      expect(status).toBe(200)
      localPorts.add(session.socket.localPort ?? 0)
    }
    expect(localPorts.size).toBe(1)
    await vi.waitFor(() => expect(seen.size).toBe(3), { timeout: 10_000 })
    for (const event of seen.values()) {
      expect(event.protocol).toBe('HTTP/2')
      expect(event.scheme).toBe('https')
      expect(event.requestedServerName).toBe('a.example.com')
      expect(event.downstreamRemoteAddress).toBe('127.0.0.1')
      expect(event.downstreamLocalAddress).toBe(`127.0.0.1:${port}`)
    }
  })

  it('originates TLS to the upstream per the cluster policy (DestinationRule SIMPLE)', async () => {
    const upstream = createHttpsServer({ cert: serverCert.cert, key: serverCert.key }, (req, res) => {
      res.end(`tls upstream saw ${req.headers.host}`)
    })
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
    cleanup.push(() => new Promise<void>((resolve) => upstream.close(() => resolve())))
    upstream.on('connection', (s) => cleanup.push(async () => void s.destroy()))
    const port = (upstream.address() as { port: number }).port
    const policy = {
      tls: {
        mode: 'SIMPLE' as const,
        sni: 'upstream.internal',
        subjectAltNames: [],
        insecureSkipVerify: false,
        caCertificates: file(ca.certFile),
      },
    }
    const gw = await createGateway({
      config: config(
        [listener(80, 'HTTP', [httpServer('http.80', ['*'], route)])],
        [cluster(C, [{ port }], policy)],
      ),
      ports: { 80: 0 },
      route: testRoute,
      drainTimeoutMs: 200,
    })
    cleanup.push(() => gw.close())
    const r = await http1(gw.addresses[80]!.port, '/', { host: 'a.example.com' })
    expect(r.status).toBe(200)
    expect(r.body).toBe('tls upstream saw a.example.com')
  })

  it('passes the upstream server header through when serverHeader is false', async () => {
    const u = await startUpstream()
    cleanup.push(() => u.close())
    const gw = await createGateway({
      config: config(
        [listener(80, 'HTTP', [httpServer('http.80', ['*'], route)])],
        [cluster(C, [{ port: u.port }])],
      ),
      ports: { 80: 0 },
      route: testRoute,
      serverHeader: false,
      drainTimeoutMs: 200,
    })
    cleanup.push(() => gw.close())
    expect((await http1(gw.addresses[80]!.port, '/')).headers.server).toBe('upstream-server')
  })
})
