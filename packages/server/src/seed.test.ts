import { connect as h2connect } from 'node:http2'
import { request as httpsRequest } from 'node:https'
import { connect as netConnect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import type { SnapshotResource } from '@portico/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGateway, type Gateway } from './gateway.js'
import { http1, selfSigned, startUpstream, type Upstream } from './test-config.js'

type Res = SnapshotResource & { spec: unknown; apiVersion: string }

function seed(step: 1 | 2 | 3, upstreamPort: number, cert: { certFile: string; keyFile: string }): Res[] {
  const http = { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['httpbin.example.com'] }
  const https = {
    port: { number: 443, name: 'https', protocol: 'HTTPS' },
    tls: { mode: 'SIMPLE', serverCertificate: cert.certFile, privateKey: cert.keyFile },
    hosts: ['httpbin.example.com'],
  }
  const servers = step === 1 ? [http] : step === 2 ? [http, https] : [https]
  return [
    {
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'Gateway',
      metadata: { name: 'httpbin-gateway' },
      spec: { selector: { istio: 'ingressgateway' }, servers },
    },
    {
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'VirtualService',
      metadata: { name: 'httpbin' },
      spec: {
        hosts: ['*'],
        gateways: ['httpbin-gateway'],
        http: [
          {
            match: [{ uri: { prefix: '/status' } }, { uri: { prefix: '/delay' } }],
            route: [{ destination: { port: { number: 8000 }, host: 'httpbin' } }],
          },
        ],
      },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: 'httpbin' },
      spec: {
        hosts: ['httpbin.default.svc.cluster.local'],
        ports: [{ number: 8000, name: 'http', protocol: 'HTTP' }],
        resolution: 'STATIC',
        endpoints: [{ address: '127.0.0.1', ports: { http: upstreamPort } }],
      },
    },
  ]
}

function h2get(port: number, path: string, servername: string, ca: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; alpn: string | false | undefined }>(
    (resolve, reject) => {
      const session = h2connect(`https://127.0.0.1:${port}`, { servername, ca })
      session.on('error', reject)
      const req = session.request({ ':path': path, ':authority': `${servername}:${port}` })
      req.on('response', (headers) => {
        const alpn = session.alpnProtocol
        req.resume()
        req.on('end', () => {
          session.close()
          resolve({ status: Number(headers[':status']), headers, alpn })
        })
      })
      req.on('error', reject)
      req.end()
    },
  )
}

function handshake(port: number, servername: string | undefined, ca: string): Promise<'ok' | 'failed'> {
  return new Promise((resolve) => {
    const s = tlsConnect({
      host: '127.0.0.1',
      port,
      ca,
      ...(servername ? { servername } : {}),
      rejectUnauthorized: false,
    })
    s.once('secureConnect', () => {
      s.destroy()
      resolve('ok')
    })
    s.once('error', () => resolve('failed'))
    s.once('close', () => resolve('failed'))
  })
}

describe('the seed scenario (control ingress traffic)', () => {
  let upstream: Upstream
  let gw: Gateway
  const cert = selfSigned(['httpbin.example.com'])

  beforeAll(async () => {
    upstream = await startUpstream('httpbin')
    gw = await createGateway({
      config: { resources: seed(1, upstream.port, cert) },
      ports: { 80: 0, 443: 0 },
      drainTimeoutMs: 500,
    })
  })
  afterAll(async () => {
    await gw?.close()
    await upstream?.close()
  })

  it('step 1: HTTP on 80 serves /status/200 and answers /headers with 404', async () => {
    const port = gw.addresses[80]!.port
    expect(gw.addresses[80]!.protocol).toBe('HTTP')
    const ok = await http1(port, '/status/200')
    expect(ok.status).toBe(200)
    expect(ok.headers.server).toBe('portico')
    expect(ok.headers['x-envoy-upstream-service-time']).toBeDefined()
    expect(ok.headers['content-type']).toBe('text/html; charset=utf-8')
    const missing = await http1(port, '/headers')
    expect(missing.status).toBe(404)
    expect(missing.headers['content-length']).toBe('0')
    expect(missing.headers.date).toBeDefined()
    expect((await http1(port, '/status/200', { host: 'other.example.com' })).status).toBe(404)
  })

  it('step 2: HTTPS on 443 negotiates h2 by ALPN and answers HTTP/2 200', async () => {
    await gw.update({ resources: seed(2, upstream.port, cert) })
    const port = gw.addresses[443]!.port
    const r = await h2get(port, '/status/200', 'httpbin.example.com', cert.cert)
    expect(r.alpn).toBe('h2')
    expect(r.status).toBe(200)
    expect(r.headers.server).toBe('portico')
    expect(r.headers.connection).toBeUndefined()
    const h1 = await new Promise<{ status: number; version: string }>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/status/200',
          servername: 'httpbin.example.com',
          ca: cert.cert,
          headers: { host: 'httpbin.example.com' },
        },
        (res) => {
          res.resume()
          res.on('end', () => resolve({ status: res.statusCode ?? 0, version: res.httpVersion }))
        },
      )
      req.on('error', reject)
      req.end()
    })
    expect(h1).toEqual({ status: 200, version: '1.1' })
    const seen = upstream.seen.at(-1)!
    expect(seen.headers['x-forwarded-proto']).toBe('https')
    expect(seen.headers.host).toBe('httpbin.example.com')
    // HTTP keeps working next to HTTPS.
    expect((await http1(gw.addresses[80]!.port, '/status/200')).status).toBe(200)
  })

  it('step 2: an unknown SNI, or none, fails the handshake', async () => {
    const port = gw.addresses[443]!.port
    expect(await handshake(port, 'httpbin.example.com', cert.cert)).toBe('ok')
    expect(await handshake(port, 'other.example.com', cert.cert)).toBe('failed')
    expect(await handshake(port, undefined, cert.cert)).toBe('failed')
  })

  it('step 3: after an update without port 80, the HTTP port refuses connections and HTTPS still serves', async () => {
    const httpPort = gw.addresses[80]!.port
    const httpsPort = gw.addresses[443]!.port
    await gw.update({ resources: seed(3, upstream.port, cert) })
    expect(gw.addresses[80]).toBeUndefined()
    expect(gw.addresses[443]!.port).toBe(httpsPort)
    const refused = await new Promise<string>((resolve) => {
      const s = netConnect(httpPort, '127.0.0.1')
      s.once('connect', () => {
        s.destroy()
        resolve('connected')
      })
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
    })
    expect(refused).toBe('ECONNREFUSED')
    expect((await h2get(httpsPort, '/status/200', 'httpbin.example.com', cert.cert)).status).toBe(200)
  })
})
