import { copyFileSync, writeFileSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import { type AddressInfo, createServer as createNetServer } from 'node:net'
import { createCertificate, tlsSecretYaml } from '@portico/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  fingerprintOf,
  gatewayYaml,
  lineOf,
  parsePrometheus,
  seedYaml,
  servedFingerprint,
  serviceEntryYaml,
  sum,
  tryConnect,
  virtualServiceYaml,
} from '../test/admin.js'
import { http1, selfSigned, startUpstream, type Upstream } from '../test/config.js'
import { createManagedGateway, type ManagedGateway } from './managed.js'

let upstream: Upstream
let gw: ManagedGateway | undefined

beforeEach(async () => {
  upstream = await startUpstream('httpbin')
})
afterEach(async () => {
  await gw?.close()
  gw = undefined
  await upstream.close()
})

async function start(yaml?: string): Promise<ManagedGateway> {
  gw = await createManagedGateway({ ports: { 80: 0, 443: 0 }, drainTimeoutMs: 2000 })
  if (yaml !== undefined) {
    const created = await gw.create(yaml, { file: 'seed.yaml' })
    expect(created.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
    expect(created.ok).toBe(true)
  }
  return gw
}

/** Sends requests on `connections` keep-alive connections until `stop()`; counts answers by status. */
function steadyLoad(port: number, path: string, connections: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  const statuses = new Map<number | string, number>()
  let running = true
  let sent = 0
  let answered = 0
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      sent++
      const req = httpRequest(
        { host: '127.0.0.1', port, path, agent, headers: { host: 'httpbin.example.com' } },
        (res) => {
          res.resume()
          res.on('end', () => {
            answered++
            statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1)
            resolve()
          })
        },
      )
      req.on('error', (error: NodeJS.ErrnoException) => {
        statuses.set(error.code ?? 'error', (statuses.get(error.code ?? 'error') ?? 0) + 1)
        resolve()
      })
      req.end()
    })
  const loops = Array.from({ length: connections }, async () => {
    while (running) await one()
  })
  return {
    statuses,
    get sent() {
      return sent
    },
    get answered() {
      return answered
    },
    async stop() {
      running = false
      await Promise.all(loops)
      agent.destroy()
    },
  }
}

describe('managed gateway: istioctl create / replace / delete on a live gateway', () => {
  it('runs the seed: create, replace with 443, replace without 80, delete', async () => {
    const cert = selfSigned(['httpbin.example.com'])
    const g = await start(seedYaml(upstream.port))
    const port80 = g.addresses[80]!.port
    expect((await http1(port80, '/status/200')).status).toBe(200)
    expect((await http1(port80, '/headers')).status).toBe(404)
    const v = g.version

    const withTls = await g.replace(gatewayYaml(['http', 'https'], cert))
    expect(withTls.ok).toBe(true)
    expect(withTls.version).toBe(v + 1)
    expect(withTls.changes).toEqual([
      { action: 'replaced', resource: { kind: 'Gateway', namespace: 'default', name: 'httpbin-gateway' } },
    ])
    expect(g.addresses[443]?.protocol).toBe('HTTPS')
    expect(g.addresses[80]!.port).toBe(port80)
    expect(await servedFingerprint(g.addresses[443]!.port, 'httpbin.example.com')).toBe(
      fingerprintOf(cert.cert),
    )

    const httpsOnly = await g.replace(gatewayYaml(['https'], cert))
    expect(httpsOnly.ok).toBe(true)
    expect(g.addresses[80]).toBeUndefined()
    expect(await tryConnect(port80)).toBe('refused')

    const deleted = await g.delete({ kind: 'gateway', name: 'httpbin-gateway' })
    expect(deleted.ok).toBe(true)
    expect(g.addresses).toEqual({})
    expect((await g.delete({ kind: 'virtualservice', name: 'httpbin' })).ok).toBe(true)
    expect(g.snapshot.list('VirtualService')).toEqual([])
  })

  it('refuses create of an existing resource and replace of a missing one, serving on', async () => {
    const g = await start(seedYaml(upstream.port))
    const v = g.version
    const again = await g.create(gatewayYaml(['http']))
    expect(again.ok).toBe(false)
    expect(again.diagnostics.map((d) => d.code)).toEqual(['PTC4200'])
    const missing = await g.replace(virtualServiceYaml().replace('name: httpbin', 'name: other'))
    expect(missing.diagnostics.map((d) => d.code)).toEqual(['PTC4201'])
    expect(g.version).toBe(v)
    expect((await http1(g.addresses[80]!.port, '/status/200')).status).toBe(200)
  })

  it('refuses a change that fails validation, with its position, and keeps the running config', async () => {
    const g = await start(seedYaml(upstream.port))
    const v = g.version
    const invalid = virtualServiceYaml().replace('prefix: /delay', 'regex: "("')
    const refused = await g.replace(invalid, { file: 'vs.yaml' })
    expect(refused.ok).toBe(false)
    expect(refused.diagnostics).toContainEqual(
      expect.objectContaining({
        severity: 'error',
        code: 'PTC2332',
        path: 'spec.http[0].match[1].uri.regex',
        source: expect.objectContaining({ file: 'vs.yaml', line: lineOf(invalid, 'regex: "("') }),
      }),
    )
    expect(g.version).toBe(v)
    expect((await http1(g.addresses[80]!.port, '/delay/1')).status).toBe(200)
  })

  it('drains the open keep-alive connections of a removed port, then closes them', async () => {
    const cert = selfSigned(['httpbin.example.com'])
    const g = await start(seedYaml(upstream.port))
    const port = g.addresses[80]!.port
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const closed = new Promise<void>((resolve) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: '/status/200', agent, headers: { host: 'httpbin.example.com' } },
        (res) => {
          res.resume()
          res.on('end', () => req.socket?.once('close', () => resolve()))
        },
      )
      req.end()
    })
    await new Promise((r) => setTimeout(r, 50))
    expect((await g.replace(gatewayYaml(['https'], cert))).ok).toBe(true)
    await closed
    expect(await tryConnect(port)).toBe('refused')
    agent.destroy()
  })

  it('refuses YAML that does not parse, with file:line:col, and keeps the running config', async () => {
    const g = await start(seedYaml(upstream.port))
    const broken = await g.apply('kind: Gateway\nmetadata: {name: x\n', { file: 'broken.yaml' })
    expect(broken.ok).toBe(false)
    expect(broken.diagnostics[0]?.source).toMatchObject({ file: 'broken.yaml', line: expect.any(Number) })
    expect((await http1(g.addresses[80]!.port, '/status/200')).status).toBe(200)
  })

  it('refuses a change whose certificate cannot be read and keeps serving the old config', async () => {
    const g = await start(seedYaml(upstream.port))
    const v = g.version
    const bad = await g.replace(
      gatewayYaml(['http', 'https'], { certFile: '/nonexistent/tls.crt', keyFile: '/nonexistent/tls.key' }),
    )
    expect(bad.ok).toBe(false)
    expect(bad.diagnostics.some((d) => d.code === 'PTC4101')).toBe(true)
    expect(g.version).toBe(v)
    expect(g.addresses[443]).toBeUndefined()
    expect((await http1(g.addresses[80]!.port, '/status/200')).status).toBe(200)
  })

  it('refuses a change whose new port cannot listen, and keeps serving the old config', async () => {
    const cert = selfSigned(['httpbin.example.com'])
    const busy = createNetServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    const busyPort = (busy.address() as AddressInfo).port
    gw = await createManagedGateway({ ports: { 80: 0, 443: busyPort }, drainTimeoutMs: 500 })
    const g = gw
    expect((await g.create(seedYaml(upstream.port))).ok).toBe(true)
    const v = g.version
    const refused = await g.replace(gatewayYaml(['http', 'https'], cert))
    expect(refused.ok).toBe(false)
    expect(refused.diagnostics.map((d) => d.code)).toContain('PTC4104')
    expect(g.version).toBe(v)
    expect(g.addresses[443]).toBeUndefined()
    expect(g.config.listeners.has(443)).toBe(false)
    expect((await http1(g.addresses[80]!.port, '/status/200')).status).toBe(200)
    await new Promise<void>((resolve) => busy.close(() => resolve()))
  })

  it('loses no request of a steady load across replaces', async () => {
    const g = await start(seedYaml(upstream.port))
    const load = steadyLoad(g.addresses[80]!.port, '/status/200', 8)
    for (let i = 0; i < 10; i++) {
      // Let a few requests through between two swaps, whatever the machine's speed.
      const mark = load.answered
      while (load.answered < mark + 4) await new Promise((r) => setTimeout(r, 5))
      const prefixes = i % 2 === 0 ? ['/status', '/delay', '/anything'] : ['/status', '/delay']
      expect((await g.replace(virtualServiceYaml(prefixes))).ok).toBe(true)
    }
    await load.stop()
    expect(load.sent).toBeGreaterThanOrEqual(40)
    expect(Object.fromEntries(load.statuses)).toEqual({ 200: load.sent })
  })

  it('serves a certificate rotated on disk to the next handshake after reload', async () => {
    const first = selfSigned(['httpbin.example.com'])
    const second = selfSigned(['httpbin.example.com'])
    const live = selfSigned(['httpbin.example.com'])
    const g = await start(
      [gatewayYaml(['https'], live), virtualServiceYaml(), serviceEntryYaml(upstream.port)].join('---\n'),
    )
    const port = g.addresses[443]!.port
    copyFileSync(first.certFile, live.certFile)
    copyFileSync(first.keyFile, live.keyFile)
    expect((await g.reload()).ok).toBe(true)
    expect(await servedFingerprint(port, 'httpbin.example.com')).toBe(fingerprintOf(first.cert))
    copyFileSync(second.certFile, live.certFile)
    copyFileSync(second.keyFile, live.keyFile)
    expect((await g.reload()).ok).toBe(true)
    expect(await servedFingerprint(port, 'httpbin.example.com')).toBe(fingerprintOf(second.cert))
    expect(g.addresses[443]!.port).toBe(port)
    // A half-written key is refused; the last good certificate stays.
    writeFileSync(live.keyFile, '-----BEGIN PRIVATE KEY-----\nnot a key\n')
    const refused = await g.reload()
    expect(refused.ok).toBe(false)
    expect(await servedFingerprint(port, 'httpbin.example.com')).toBe(fingerprintOf(second.cert))
  })

  it('rotates a credentialName certificate when its Secret is replaced (as SDS would push it)', async () => {
    const first = createCertificate({ commonName: 'httpbin.example.com' })
    const second = createCertificate({ commonName: 'httpbin.example.com' })
    const gateway = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: httpbin-gateway }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: 443, name: https, protocol: HTTPS }
    tls: { mode: SIMPLE, credentialName: httpbin-credential }
    hosts: ["httpbin.example.com"]
`
    const secret = (pair: { cert: string; key: string }) =>
      tlsSecretYaml({ name: 'httpbin-credential', namespace: 'istio-system', ...pair })
    const g = await start([gateway, virtualServiceYaml(), secret(first)].join('---\n'))
    const port = g.addresses[443]!.port
    expect(await servedFingerprint(port, 'httpbin.example.com')).toBe(fingerprintOf(first.cert))
    const rotated = await g.replace(secret(second))
    expect(rotated.ok).toBe(true)
    expect(await servedFingerprint(port, 'httpbin.example.com')).toBe(fingerprintOf(second.cert))
    expect(g.addresses[443]!.port).toBe(port)
    const other = createCertificate({ commonName: 'other.example.com', keyType: 'rsa' })
    const mismatched = await g.replace(secret({ cert: first.cert, key: other.key }))
    expect(mismatched.ok).toBe(false)
    expect(mismatched.diagnostics.map((d) => d.code)).toContain('PTC4102')
    expect(await servedFingerprint(port, 'httpbin.example.com')).toBe(fingerprintOf(second.cert))
  })

  it('close() lets a slow request in flight finish and refuses new connections', async () => {
    const g = await start(seedYaml(upstream.port))
    const port = g.addresses[80]!.port
    const slow = http1(port, '/delay/600')
    await new Promise((r) => setTimeout(r, 100))
    const closing = g.close()
    expect(g.ready).toBe(false)
    const answer = await slow
    expect(answer.status).toBe(200)
    await closing
    expect(await tryConnect(port)).toBe('refused')
    gw = undefined
  })

  it('counts requests in istio_requests_total by response code and flags, matching what was sent', async () => {
    const g = await start(seedYaml(upstream.port))
    const port = g.addresses[80]!.port
    for (let i = 0; i < 7; i++) expect((await http1(port, '/status/200')).status).toBe(200)
    for (let i = 0; i < 3; i++) expect((await http1(port, '/status/503')).status).toBe(503)
    for (let i = 0; i < 4; i++) expect((await http1(port, '/nowhere')).status).toBe(404)
    await new Promise((r) => setTimeout(r, 50))
    const { samples, types } = parsePrometheus(g.metrics.render())
    expect(types.get('istio_requests_total')).toBe('counter')
    expect(types.get('istio_request_duration_milliseconds')).toBe('histogram')
    const svc = { destination_service: 'httpbin.default.svc.cluster.local' }
    expect(sum(samples, 'istio_requests_total', { ...svc, response_code: '200', response_flags: '-' })).toBe(
      7,
    )
    expect(sum(samples, 'istio_requests_total', { ...svc, response_code: '503' })).toBe(3)
    expect(
      sum(samples, 'istio_requests_total', {
        response_code: '404',
        response_flags: 'NR',
        destination_service: 'unknown',
      }),
    ).toBe(4)
    expect(sum(samples, 'istio_requests_total', { reporter: 'source', request_protocol: 'http' })).toBe(14)
    expect(sum(samples, 'istio_request_duration_milliseconds_count')).toBe(14)
    expect(sum(samples, 'istio_request_duration_milliseconds_bucket', { le: '+Inf' })).toBe(14)
    expect(sum(samples, 'istio_response_bytes_count', svc)).toBe(10)
    expect(sum(samples, 'portico_config_version')).toBe(g.version)
    expect(
      sum(samples, 'portico_upstream_cx_total', { upstream_host: `127.0.0.1:${upstream.port}` }),
    ).toBeGreaterThan(0)
    expect(sum(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0)
  })
})
