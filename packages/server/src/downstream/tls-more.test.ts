import { createServer as createHttpsServer, request as httpsRequest } from 'node:https'
import type { ServerTls } from '@portico/core'
import { afterEach, describe, expect, it } from 'vitest'
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

describe('TLS details', () => {
  it('OPTIONAL_MUTUAL accepts no certificate, accepts a valid one, refuses a foreign one', async () => {
    const u = await startUpstream()
    cleanup.push(() => u.close())
    const gw = await createGateway({
      config: config(
        [
          listener(443, 'HTTPS', [
            httpServer(
              'https.443',
              ['a.example.com'],
              route,
              tls({ mode: 'OPTIONAL_MUTUAL', caCertificates: file(ca.certFile) }),
            ),
          ]),
        ],
        [cluster(C, [{ port: u.port }])],
      ),
      ports: { 443: 0 },
      route: testRoute,
      drainTimeoutMs: 200,
    })
    cleanup.push(() => gw.close())
    const port = gw.addresses[443]!.port
    expect(await get(port, 'a.example.com')).toBe(200)
    expect(await get(port, 'a.example.com', client)).toBe(200)
    await expect(get(port, 'a.example.com', foreign)).rejects.toThrow()
  })

  it('a `*` server accepts a ClientHello without SNI; without one, no SNI fails', async () => {
    const u = await startUpstream()
    cleanup.push(() => u.close())
    const gw = await createGateway({
      config: config(
        [listener(443, 'HTTPS', [httpServer('https.443', ['*'], route, tls())])],
        [cluster(C, [{ port: u.port }])],
      ),
      ports: { 443: 0 },
      route: testRoute,
      drainTimeoutMs: 200,
    })
    cleanup.push(() => gw.close())
    expect(await get(gw.addresses[443]!.port, undefined)).toBe(200)
    expect(await get(gw.addresses[443]!.port, 'anything.example.com')).toBe(200)
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
