import { mkdtempSync, readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { type AddressInfo, createServer as createNetServer, connect as netConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createManagedGateway, type ManagedGateway } from '../admin/managed.js'
import type { RequestEndEvent } from '../events/channels.js'
import { gatewayYaml, parsePrometheus, serviceEntryYaml, sum } from '../test/admin.js'
import { closedPort, http1, startUpstream, type Upstream } from '../test/config.js'
import { type AccessLog, createAccessLog, formatTextLine } from './access-log.js'

const ENVOY_LINE =
  /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\] "(\S+) (\S+) (HTTP\/[\d.]+)" (\d{1,3}) (\S+) (\d+) (\d+) (\d+) (\S+) "([^"]*)" "([^"]*)" "([^"]*)" "([^"]*)" "([^"]*)"\n$/

/** Routes: /status and /delay to httpbin; /slow with a 200 ms timeout; /refused to a closed port; /fault aborts. */
function config(upstreamPort: number, refusedPort: number): string {
  return `${gatewayYaml(['http'])}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: httpbin }
spec:
  hosts: ["*"]
  gateways: [httpbin-gateway]
  http:
  - match: [{ uri: { prefix: /slow } }]
    rewrite: { uri: /delay/2000 }
    timeout: 200ms
    route: [{ destination: { host: httpbin, port: { number: 8000 } } }]
  - match: [{ uri: { prefix: /refused } }]
    route: [{ destination: { host: refused, port: { number: 8000 } } }]
  - match: [{ uri: { prefix: /fault } }]
    fault: { abort: { httpStatus: 418, percentage: { value: 100 } } }
    route: [{ destination: { host: httpbin, port: { number: 8000 } } }]
  - match: [{ uri: { prefix: /status } }, { uri: { prefix: /delay } }]
    route: [{ destination: { host: httpbin, port: { number: 8000 } } }]
---
${serviceEntryYaml(upstreamPort)}---
${serviceEntryYaml(refusedPort).replace(/httpbin/g, 'refused')}`
}

let upstream: Upstream
let gw: ManagedGateway
let log: AccessLog | undefined
const events: RequestEndEvent[] = []
const lines: string[] = []

beforeEach(async () => {
  events.length = 0
  lines.length = 0
  upstream = await startUpstream('httpbin')
  gw = await createManagedGateway({ ports: { 80: 0 } })
  expect((await gw.create(config(upstream.port, await closedPort()))).ok).toBe(true)
})
afterEach(async () => {
  await log?.close()
  log = undefined
  await gw.close()
  await upstream.close()
})

/** Waits for `n` logged lines (the log line is written when the response closes). */
async function logged(n: number): Promise<void> {
  for (let i = 0; i < 200 && lines.length < n; i++) await new Promise((r) => setTimeout(r, 10))
  expect(lines.length).toBe(n)
}

describe('access log', () => {
  it('writes one Envoy default-format line per request, with flags and upstream timing', async () => {
    log = createAccessLog({
      sink: (line, event) => {
        lines.push(line)
        events.push(event as RequestEndEvent)
      },
    })
    const port = gw.addresses[80]!.port
    const ok = await http1(port, '/status/200?x=1', {
      headers: { 'user-agent': 'curl/8.0', 'x-request-id': 'req-1', 'x-forwarded-for': '10.0.0.9' },
    })
    expect(ok.status).toBe(200)
    await logged(1)
    const m = ENVOY_LINE.exec(lines[0] ?? '')
    expect(m).not.toBeNull()
    const [, , method, path, protocol, code, flags, received, sent, , ust, xff, ua, rid, authority, host] = m!
    expect([method, path, protocol, code, flags]).toEqual(['GET', '/status/200?x=1', 'HTTP/1.1', '200', '-'])
    expect([received, sent]).toEqual(['0', '0'])
    expect(ust).toBe(ok.headers['x-envoy-upstream-service-time'])
    expect([xff, ua, rid, authority, host]).toEqual([
      '10.0.0.9',
      'curl/8.0',
      'req-1',
      'httpbin.example.com',
      `127.0.0.1:${upstream.port}`,
    ])
    expect(events[0]).toMatchObject({
      upstreamCluster: 'outbound|8000||httpbin.default.svc.cluster.local',
      routeConfig: 'http.80',
      downstreamLocalAddress: `127.0.0.1:${port}`,
      attempts: 1,
    })
  })

  it('sets NR, UF+URX, UT, FI and DC as Envoy does, and counts body bytes both ways', async () => {
    log = createAccessLog({
      sink: (line, event) => {
        lines.push(line)
        events.push(event as RequestEndEvent)
      },
    })
    const port = gw.addresses[80]!.port
    expect((await http1(port, '/headers')).status).toBe(404)
    expect((await http1(port, '/refused')).status).toBe(503)
    expect((await http1(port, '/slow')).status).toBe(504)
    expect((await http1(port, '/fault')).status).toBe(418)
    const echoed = await http1(port, '/status/201', { method: 'POST', body: 'x'.repeat(1234) })
    expect(echoed.status).toBe(201)
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        path: '/delay/3000',
        headers: { host: 'httpbin.example.com' },
      })
      req.on('error', () => resolve())
      req.end()
      setTimeout(() => {
        req.destroy()
        resolve()
      }, 150)
    })
    await logged(6)
    const byPath = new Map(events.map((e) => [e.path, e]))
    expect(byPath.get('/headers')).toMatchObject({ responseCode: 404, responseFlags: ['NR'] })
    expect(byPath.get('/refused')).toMatchObject({
      responseCode: 503,
      responseFlags: ['UF', 'URX'],
      attempts: 3,
    })
    expect(byPath.get('/slow')).toMatchObject({ responseCode: 504, responseFlags: ['UT'] })
    expect(byPath.get('/fault')).toMatchObject({ responseCode: 418, responseFlags: ['FI'] })
    expect(byPath.get('/status/201')).toMatchObject({ responseCode: 201, bytesReceived: 1234 })
    expect(byPath.get('/delay/3000')).toMatchObject({ responseCode: 0, responseFlags: ['DC'] })
    expect(lines.find((l) => l.includes('/refused'))).toContain(' 503 UF,URX ')
    const notFound = events.find((e) => e.path === '/headers')!
    expect(notFound.bytesSent).toBe(0)
  })

  it('writes JSON lines to a stream and text lines to a file; off logs nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-log-'))
    const file = join(dir, 'access.log')
    const stream = new PassThrough()
    const chunks: string[] = []
    stream.on('data', (c: Buffer) => chunks.push(c.toString()))
    const json = createAccessLog({ sink: { stream }, format: 'json' })
    const text = createAccessLog({ sink: { file } })
    const off = createAccessLog({ sink: 'off' })
    await http1(gw.addresses[80]!.port, '/status/204')
    for (let i = 0; i < 100 && chunks.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
    await json.close()
    await text.close()
    await off.close()
    const record = JSON.parse(chunks.join('')) as Record<string, unknown>
    expect(record).toMatchObject({
      method: 'GET',
      path: '/status/204',
      protocol: 'HTTP/1.1',
      response_code: 204,
      response_flags: '-',
      upstream_host: `127.0.0.1:${upstream.port}`,
      upstream_cluster: 'outbound|8000||httpbin.default.svc.cluster.local',
    })
    expect(typeof record.upstream_service_time).toBe('number')
    expect(readFileSync(file, 'utf8')).toMatch(ENVOY_LINE)
  })

  it('quotes and escapes values a client controls', () => {
    const line = formatTextLine({
      startTime: 0,
      gatewayPort: 80,
      scheme: 'http',
      method: 'GET',
      path: '/a b',
      authority: 'h',
      protocol: 'HTTP/1.1',
      requestProtocol: 'http',
      responseCode: 200,
      responseFlags: [],
      bytesReceived: 0,
      bytesSent: 0,
      durationMs: 1.4,
      responseDurationMs: undefined,
      upstreamServiceTimeMs: undefined,
      userAgent: 'evil"agent\n',
      forwardedFor: undefined,
      requestId: undefined,
      downstreamRemoteAddress: undefined,
      downstreamLocalAddress: undefined,
      requestedServerName: undefined,
      routeConfig: undefined,
      routeName: undefined,
      upstreamCluster: undefined,
      destinationService: undefined,
      destinationPort: undefined,
      destinationSubset: undefined,
      upstreamHost: undefined,
      attempts: 0,
    })
    expect(line).toBe(
      '[1970-01-01T00:00:00.000Z] "GET /a%20b HTTP/1.1" 200 - 0 0 1 - "-" "evil\\"agent\\x0a" "-" "h" "-"\n',
    )
  })

  it('logs proxied TCP connections in the same format, with bytes both ways, and counts them as istio_tcp_*', async () => {
    const echo = createNetServer((socket) => socket.pipe(socket))
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve))
    const echoPort = (echo.address() as AddressInfo).port
    const tcp = await createManagedGateway({ ports: { 31400: 0 } })
    try {
      const created = await tcp.create(`apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: tcp-gateway }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: 31400, name: tcp, protocol: TCP }
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: tcp-echo }
spec:
  hosts: ["*"]
  gateways: [tcp-gateway]
  tcp:
  - match: [{ port: 31400 }]
    route: [{ destination: { host: tcp-echo, port: { number: 9000 } } }]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: tcp-echo }
spec:
  hosts: [tcp-echo.default.svc.cluster.local]
  ports: [{ number: 9000, name: tcp, protocol: TCP }]
  resolution: STATIC
  endpoints: [{ address: 127.0.0.1, ports: { tcp: ${echoPort} } }]
`)
      expect(created.ok).toBe(true)
      log = createAccessLog({ sink: (line) => lines.push(line) })
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = netConnect({ host: '127.0.0.1', port: tcp.addresses[31400]!.port })
        let got = ''
        socket.on('data', (c: Buffer) => {
          got += c.toString()
          if (got.length >= 5) socket.end()
        })
        socket.once('close', () => resolve(got))
        socket.once('error', reject)
        socket.write('hello')
      })
      expect(reply).toBe('hello')
      await logged(1)
      expect(lines[0]).toMatch(
        new RegExp(`^\\[[^\\]]+\\] "- - -" 0 - 5 5 \\d+ - "-" "-" "-" "-" "127\\.0\\.0\\.1:${echoPort}"\\n$`),
      )
      const { samples } = parsePrometheus(tcp.metrics.render())
      const svc = { destination_service: 'tcp-echo.default.svc.cluster.local' }
      expect(sum(samples, 'istio_tcp_connections_opened_total', svc)).toBe(1)
      expect(sum(samples, 'istio_tcp_connections_closed_total', svc)).toBe(1)
      expect(sum(samples, 'istio_tcp_received_bytes_total', svc)).toBe(5)
      expect(sum(samples, 'istio_tcp_sent_bytes_total', svc)).toBe(5)
    } finally {
      await tcp.close()
      await new Promise<void>((resolve) => echo.close(() => resolve()))
    }
  })
})
