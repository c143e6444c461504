import { mkdtempSync, writeFileSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SecureVersion } from 'node:tls'
import type { ServerTls } from '@portico/core'
import { createCertificate } from '@portico/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PorticoServerError } from '../errors.js'
import { createGateway, type Gateway } from '../gateway.js'
import {
  cluster,
  config,
  destination,
  forwardSpec,
  httpServer,
  listener,
  startUpstream,
  testCa,
  testRoute,
  type Upstream,
} from '../test/config.js'

const C = 'outbound|8000||backend'
const ca = testCa()
const otherCa = testCa('Other CA')
const serverCert = ca.issue(['a.example.com', 'b.example.com', 'c.example.com', '*.wild.example.com'])
const goodClient = ca.issue(['client.example.com'])
const wrongSanClient = ca.issue(['intruder.example.com'])
const foreignClient = otherCa.issue(['client.example.com'])

const file = (path: string) => ({ kind: 'file', path }) as const

function selfSignedRsa(): { keyFile: string } {
  const pair = createCertificate({ commonName: 'rsa.example.com', keyType: 'rsa' })
  const keyFile = join(mkdtempSync(join(tmpdir(), 'portico-rsa-')), 'tls.key')
  writeFileSync(keyFile, pair.key)
  return { keyFile }
}

function tlsSettings(extra: Partial<ServerTls> = {}): ServerTls {
  return {
    mode: 'SIMPLE',
    certificate: file(serverCert.certFile),
    privateKey: file(serverCert.keyFile),
    subjectAltNames: [],
    minVersion: 'TLSv1.2',
    ...extra,
  }
}

function tlsConfig(upstreamPort: number, overrides: { a?: Partial<ServerTls> } = {}) {
  const route = [
    {
      prefix: '/',
      action: { kind: 'route', route: forwardSpec({ destinations: [destination(C)] }) },
    } as const,
  ]
  return config(
    [
      listener(443, 'HTTPS', [
        httpServer('https.443.a', ['a.example.com'], route, tlsSettings(overrides.a)),
        httpServer(
          'https.443.b',
          ['b.example.com'],
          route,
          tlsSettings({
            mode: 'MUTUAL',
            caCertificates: file(ca.certFile),
            subjectAltNames: ['client.example.com'],
          }),
        ),
        httpServer('https.443.c', ['c.example.com'], route, tlsSettings({ minVersion: 'TLSv1.3' })),
        httpServer('https.443.wild', ['*.wild.example.com'], route, {
          mode: 'SIMPLE',
          certificate: {
            kind: 'inline',
            pem: serverCert.cert,
            secret: { kind: 'Secret', namespace: 'istio-system', name: 'wild' },
          },
          privateKey: {
            kind: 'inline',
            pem: serverCert.key,
            secret: { kind: 'Secret', namespace: 'istio-system', name: 'wild' },
          },
          subjectAltNames: [],
          minVersion: 'TLSv1.2',
        }),
      ]),
    ],
    [cluster(C, [{ port: upstreamPort }])],
  )
}

interface Options {
  readonly servername: string
  readonly cert?: { cert: string; key: string }
  readonly maxVersion?: SecureVersion
  readonly ciphers?: string
}

function get(port: number, o: Options): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        agent: false,
        servername: o.servername,
        ca: ca.cert,
        headers: { host: o.servername },
        ...(o.cert ? { cert: o.cert.cert, key: o.cert.key } : {}),
        ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}),
        ...(o.ciphers ? { ciphers: o.ciphers } : {}),
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

describe('TLS termination', () => {
  let upstream: Upstream
  let gw: Gateway
  let port: number
  beforeAll(async () => {
    upstream = await startUpstream()
    gw = await createGateway({
      config: tlsConfig(upstream.port),
      ports: { 443: 0 },
      route: testRoute,
      drainTimeoutMs: 200,
    })
    port = gw.addresses[443]!.port
  })
  afterAll(async () => {
    await gw?.close()
    await upstream?.close()
  })

  it('serves each SNI with its own server, including wildcard hosts and inline PEM', async () => {
    expect(await get(port, { servername: 'a.example.com' })).toBe(200)
    expect(await get(port, { servername: 'x.wild.example.com' })).toBe(200)
    await expect(get(port, { servername: 'unknown.example.com' })).rejects.toThrow()
  })

  it('MUTUAL requires a client certificate from the CA with an accepted SAN', async () => {
    expect(await get(port, { servername: 'b.example.com', cert: goodClient })).toBe(200)
    await expect(get(port, { servername: 'b.example.com' })).rejects.toThrow()
    await expect(get(port, { servername: 'b.example.com', cert: foreignClient })).rejects.toThrow()
    await expect(get(port, { servername: 'b.example.com', cert: wrongSanClient })).rejects.toThrow()
  })

  it('honours the minimum version per server', async () => {
    expect(await get(port, { servername: 'a.example.com', maxVersion: 'TLSv1.2' })).toBe(200)
    await expect(get(port, { servername: 'c.example.com', maxVersion: 'TLSv1.2' })).rejects.toThrow()
    expect(await get(port, { servername: 'c.example.com' })).toBe(200)
  })

  it("refuses ciphers outside Envoy's default list and TLS below 1.2", async () => {
    await expect(
      get(port, { servername: 'a.example.com', maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA' }),
    ).rejects.toThrow()
    await expect(
      get(port, {
        servername: 'a.example.com',
        maxVersion: 'TLSv1.2',
        ciphers: 'ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA256',
      }),
    ).rejects.toThrow()
    await expect(get(port, { servername: 'a.example.com', maxVersion: 'TLSv1.1' })).rejects.toThrow()
  })

  it('honours configured cipher suites after an update, without closing the listener', async () => {
    await gw.update(
      tlsConfig(upstream.port, {
        a: { cipherSuites: ['ECDHE-ECDSA-AES256-GCM-SHA384'], maxVersion: 'TLSv1.2' },
      }),
    )
    expect(gw.addresses[443]!.port).toBe(port)
    await expect(
      get(port, {
        servername: 'a.example.com',
        maxVersion: 'TLSv1.2',
        ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
      }),
    ).rejects.toThrow()
    expect(await get(port, { servername: 'a.example.com', ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' })).toBe(
      200,
    )
    await gw.update(tlsConfig(upstream.port))
  })

  it('refuses a config whose certificate cannot be read (PTC4101) and keeps serving the old one', async () => {
    const bad = tlsConfig(upstream.port, { a: { certificate: file('/nonexistent/tls.crt') } })
    const error = await gw.update(bad).catch((e: unknown) => e)
    expect(PorticoServerError.is(error)).toBe(true)
    expect((error as PorticoServerError).code).toBe('PTC4101')
    expect((error as Error).message).toContain('https.443.a')
    expect((error as Error).message).toContain('/nonexistent/tls.crt')
    expect(await get(port, { servername: 'a.example.com' })).toBe(200)
  })

  it('refuses a certificate that does not match its key (PTC4102)', async () => {
    // A key of another algorithm: certainly not the certificate's.
    const otherKey = selfSignedRsa()
    const bad = tlsConfig(upstream.port, { a: { privateKey: file(otherKey.keyFile) } })
    const error = await createGateway({ config: bad, ports: { 443: 0 }, route: testRoute }).catch(
      (e: unknown) => e,
    )
    expect((error as PorticoServerError).code).toBe('PTC4102')
    expect((error as Error).message).toContain('https.443.a')
    expect((error as Error).message).toContain(otherKey.keyFile)
    // And a key of the same algorithm that is not the certificate's.
    const sameType = tlsConfig(upstream.port, { a: { privateKey: file(ca.keyFile) } })
    const again = await createGateway({ config: sameType, ports: { 443: 0 }, route: testRoute }).catch(
      (e: unknown) => e,
    )
    expect((again as PorticoServerError).code).toBe('PTC4102')
  })
})
