import { mkdtempSync } from 'node:fs'
import { connect as netConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createCertificate,
  type RunningHttpbin,
  request,
  type SeedStep,
  seedResources,
  startHttpbin,
  type TlsFiles,
  writeTlsFiles,
} from '@portico/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGateway, type Gateway } from './gateway.js'

/** The resources of the seed task at `step`, httpbin as a ServiceEntry, the certificate as files. */
function seed(step: SeedStep, httpbinPort: number, files: TlsFiles) {
  return seedResources(step, { httpbinPort, certificateFiles: files })
}

describe('the seed scenario (control ingress traffic)', () => {
  let httpbin: RunningHttpbin
  let gw: Gateway
  let files: TlsFiles
  const pair = createCertificate({ commonName: 'httpbin.example.com' })

  beforeAll(async () => {
    httpbin = await startHttpbin()
    files = await writeTlsFiles(mkdtempSync(join(tmpdir(), 'portico-seed-')), pair)
    gw = await createGateway({
      config: { resources: seed(1, httpbin.port, files) },
      ports: { 80: 0, 443: 0 },
    })
  })
  afterAll(async () => {
    await gw?.close()
    await httpbin?.close()
  })

  it('step 1: HTTP on 80 serves /status/200 and answers /headers with 404', async () => {
    const port = gw.addresses[80]!.port
    expect(gw.addresses[80]!.protocol).toBe('HTTP')
    const ok = await request(port, { url: `http://httpbin.example.com:${port}/status/200` })
    expect(ok.status).toBe(200)
    expect(ok.httpVersion).toBe('1.1')
    expect(ok.headers.server).toBe('portico')
    expect(ok.headers.date).toBeDefined()
    expect(ok.headers['x-envoy-upstream-service-time']).toMatch(/^\d+$/)
    const missing = await request(port, { url: `http://httpbin.example.com:${port}/headers` })
    expect(missing.status).toBe(404)
    expect(missing.headers['content-length']).toBe('0')
    expect(missing.headers.server).toBe('portico')
    expect(missing.body.length).toBe(0)
    const otherHost = await request(port, { url: `http://other.example.com:${port}/status/200` })
    expect(otherHost.status).toBe(404)
  })

  it('step 2: HTTPS on 443 answers HTTP/2 200 by ALPN (curl -k)', async () => {
    await gw.update({ resources: seed(2, httpbin.port, files) })
    const port = gw.addresses[443]!.port
    const r = await request(port, {
      url: `https://httpbin.example.com:${port}/status/200`,
      http2: true,
      insecure: true,
    })
    expect(r.protocol).toBe('h2')
    expect(r.status).toBe(200)
    expect(r.headers.server).toBe('portico')
    expect(r.headers['x-envoy-upstream-service-time']).toBeDefined()
    expect(r.peerCertificate?.subject?.CN).toBe('httpbin.example.com')
    const h1 = await request(port, { url: `https://httpbin.example.com:${port}/status/200`, ca: pair.cert })
    expect([h1.protocol, h1.status]).toEqual(['http/1.1', 200])
    // HTTP keeps working next to HTTPS.
    const plain = await request(gw.addresses[80]!.port, {
      url: `http://httpbin.example.com:${gw.addresses[80]!.port}/status/200`,
    })
    expect(plain.status).toBe(200)
  })

  it('step 2: an unknown SNI, or none, fails the handshake', async () => {
    const port = gw.addresses[443]!.port
    await expect(
      request(port, { url: `https://other.example.com:${port}/status/200`, insecure: true }),
    ).rejects.toThrow()
    await expect(
      request(port, {
        url: `https://httpbin.example.com:${port}/status/200`,
        insecure: true,
        servername: false,
      }),
    ).rejects.toThrow()
  })

  it('step 3: after an update without port 80, the HTTP port refuses connections and HTTPS still serves', async () => {
    const httpPort = gw.addresses[80]!.port
    const httpsPort = gw.addresses[443]!.port
    await gw.update({ resources: seed(3, httpbin.port, files) })
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
    const r = await request(httpsPort, {
      url: `https://httpbin.example.com:${httpsPort}/status/200`,
      http2: true,
      insecure: true,
    })
    expect(r.status).toBe(200)
  })
})
