import { createServer, type Server } from 'node:http'
import { connect as h2connect } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Gateway } from '../gateway.js'
import { closedPort } from '../test/config.js'
import {
  certificateFiles,
  eventually,
  get,
  hostileGateway,
  hostileYaml,
  type Recorder,
  raw,
  recordEnds,
  startRecorder,
  stillServes,
} from '../test/hostile.js'

const HOST = 'Host: public.example.com\r\n'
const cert = certificateFiles(['a.example.com', 'b.example.com'])

/** A second VirtualService: `dead.example.com` → a service whose only endpoint refuses connections;
 * `flaky.example.com` → two endpoints, one always answering 503, with outlier detection. */
const EXTRA = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: faults }
spec:
  hosts: [dead.example.com, flaky.example.com]
  gateways: [gw]
  http:
  - match: [{ authority: { exact: dead.example.com } }]
    route: [{ destination: { host: dead, port: { number: 8000 } } }]
  - route: [{ destination: { host: flaky, port: { number: 8000 } } }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: flaky }
spec:
  host: flaky
  trafficPolicy:
    loadBalancer: { simple: ROUND_ROBIN }
    outlierDetection: { consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 100 }
`

describe('upstream faults', () => {
  let recorder: Recorder
  let bad: Server
  let badCount = 0
  let gw: Gateway
  let port: number
  let ends: ReturnType<typeof recordEnds>
  beforeAll(async () => {
    recorder = await startRecorder()
    bad = createServer((_req, res) => {
      badCount++
      res.writeHead(503, { 'content-length': '0' })
      res.end()
    })
    await new Promise<void>((resolve) => bad.listen(0, '127.0.0.1', resolve))
    const dead = await closedPort()
    const svc = (endpoints: { address: string; port: number }[]) => ({
      ports: [{ number: 8000, name: 'http', protocol: 'HTTP' }],
      endpoints,
    })
    gw = await hostileGateway(recorder.port, hostileYaml({ tls: cert, extra: EXTRA }), {
      services: {
        'dead.default.svc.cluster.local': svc([{ address: '127.0.0.1', port: dead }]),
        'flaky.default.svc.cluster.local': svc([
          { address: '127.0.0.1', port: recorder.port },
          { address: '127.0.0.1', port: (bad.address() as AddressInfo).port },
        ]),
      },
    })
    port = gw.addresses[80]!.port
    ends = recordEnds()
  })
  afterAll(async () => {
    ends?.stop()
    await gw?.close()
    await recorder?.close()
    await new Promise((r) => bad?.close(r))
  })
  beforeEach(() => {
    recorder.reset()
    ends.events.length = 0
  })

  /** The response flags of the request to `path`, once its end event is published. */
  async function flagsOf(path: string): Promise<readonly string[]> {
    await eventually(() => ends.events.some((e) => e.path === path))
    return ends.events.find((e) => e.path === path)?.responseFlags ?? []
  }

  it('connection refused: 503 UF after the default retries (URX), and the next request is fine', async () => {
    // Three refused connections and two back-offs on a gateway that has served nothing yet: on a
    // loaded machine that can take longer than raw()'s default second. The answer ends with the
    // connection (Connection: close), so a generous bound costs nothing when it is quick.
    const answer = await raw(port, get('/x', 'dead.example.com'), 15_000)
    expect(answer.status).toBe(503)
    expect(answer.text).toContain('upstream connect error or disconnect/reset before headers')
    expect(await flagsOf('/x')).toEqual(expect.arrayContaining(['UF', 'URX']))
    await stillServes(gw, recorder)
  })

  it('reset before headers: 503 UC, not retried under the default policy', async () => {
    const answer = await raw(port, get('/public/_reset'))
    expect(answer.status).toBe(503)
    expect(answer.text).toContain('reset reason: connection termination')
    expect(await flagsOf('/public/_reset')).toContain('UC')
    expect(recorder.received.length).toBe(1)
    await stillServes(gw, recorder)
  })

  for (const [name, path] of [
    ['bytes that are not HTTP', '/public/_garbage'],
    ['two different Content-Length values (response smuggling)', '/public/_dupcl'],
    ['a 200 KB response header', '/public/_bighead'],
  ] as const) {
    it(`${name}: 502 UPE, and the next request is fine`, async () => {
      const answer = await raw(port, get(path))
      expect(answer.status).toBe(502)
      expect(await flagsOf(path)).toContain('UPE')
      await stillServes(gw, recorder)
    })
  }

  it('hung upstream: 504 UT at the route timeout, and the upstream request is cancelled', async () => {
    const answer = await raw(port, get('/timeout/_hang'), 5000)
    expect(answer.status).toBe(504)
    expect(answer.text).toContain('upstream request timeout')
    expect(await flagsOf('/timeout/_hang')).toContain('UT')
    expect(await eventually(() => recorder.cancelled() === 1)).toBe(true)
    await stillServes(gw, recorder)
  })

  it('slow upstream: the body arrives whole, in order', async () => {
    const answer = await raw(port, get('/public/_slow'), 5000)
    expect(answer.status).toBe(200)
    const body = answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4)
    expect(body.replace(/(^|\r\n)[0-9a-f]+\r\n/g, '')).toBe('part1;part2;part3;part4;part5;\r\n')
  })

  it('reset mid-body on HTTP/1.1: the connection closes short of Content-Length, never ends as complete', async () => {
    const answer = await raw(port, get('/public/_die'), 5000)
    expect(answer.status).toBe(200)
    expect(answer.closed).toBe(true)
    const body = answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4)
    expect(body.length).toBeLessThan(100_000)
    await stillServes(gw, recorder)
  })

  it('reset mid-body on HTTP/2: the stream is reset, never ended cleanly', async () => {
    const tls = gw.addresses[443]!.port
    const outcome = await new Promise<string>((resolve) => {
      const session = h2connect(`https://127.0.0.1:${tls}`, {
        servername: 'a.example.com',
        rejectUnauthorized: false,
      })
      session.on('error', () => resolve('session error'))
      const stream = session.request({ ':path': '/public/_die', ':authority': 'a.example.com' })
      let bytes = 0
      stream.on('data', (d: Buffer) => {
        bytes += d.length
      })
      stream.on('end', () =>
        resolve(stream.rstCode === 0 && bytes === 100_000 ? 'complete' : `ended ${bytes}`),
      )
      stream.on('error', () => resolve('reset'))
      stream.on('close', () => {
        session.close()
        resolve(stream.rstCode === 0 ? `closed ${bytes}` : 'reset')
      })
    })
    expect(outcome).not.toBe('complete')
    expect(outcome).toMatch(/reset|ended \d+|closed \d+/)
  })

  it('a request with a body is not retried unless the policy says so; a streamed body never is', async () => {
    const post = (path: string, body: string) =>
      raw(
        port,
        `POST ${path} HTTP/1.1\r\n${HOST}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        5000,
      )
    expect((await post('/public/_reset', 'payload')).status).toBe(503)
    expect(recorder.received.length).toBe(1)
    recorder.reset()
    // retryOn reset, attempts 2: the buffered body is replayed whole on each attempt.
    expect((await post('/retry/_reset', 'payload')).status).toBe(503)
    expect(recorder.received.map((r) => r.body)).toEqual(['payload', 'payload', 'payload'])
    recorder.reset()
    // Over the replay buffer the body streams: one attempt only.
    expect((await post('/retry/_reset', 'x'.repeat(100_000))).status).toBe(503)
    expect(recorder.received.length).toBe(1)
  })

  it('a client that closes its HTTP/1.1 connection cancels the upstream request (DC)', async () => {
    const pending = raw(port, get('/public/_hang/h1'), 300)
    expect(await eventually(() => recorder.received.length === 1)).toBe(true)
    await pending
    expect(await eventually(() => recorder.cancelled() === 1)).toBe(true)
    expect(await flagsOf('/public/_hang/h1')).toContain('DC')
  })

  it('a client that resets its HTTP/2 stream cancels the upstream request', async () => {
    const tls = gw.addresses[443]!.port
    const session = h2connect(`https://127.0.0.1:${tls}`, {
      servername: 'a.example.com',
      rejectUnauthorized: false,
    })
    session.on('error', () => {})
    try {
      const stream = session.request({ ':path': '/public/_hang/h2', ':authority': 'a.example.com' })
      stream.on('error', () => {})
      expect(await eventually(() => recorder.received.length === 1)).toBe(true)
      stream.close(8)
      expect(await eventually(() => recorder.cancelled() === 1)).toBe(true)
    } finally {
      session.destroy()
    }
  })

  it('outlier detection ejects the endpoint that keeps answering 503', async () => {
    badCount = 0
    const statuses: number[] = []
    for (let i = 0; i < 12; i++)
      statuses.push((await raw(port, get(`/flaky/${i}`, 'flaky.example.com'))).status)
    expect(badCount).toBeGreaterThanOrEqual(2)
    expect(badCount).toBeLessThanOrEqual(3)
    expect(statuses.slice(-6)).toEqual([200, 200, 200, 200, 200, 200])
  })

  it('every upstream socket of the faults is released', async () => {
    // Hung requests were cancelled; what remains are idle keep-alive connections, at most a few.
    expect(await eventually(() => recorder.openConnections() <= 4, 5000)).toBe(true)
    await stillServes(gw, recorder)
  })
})
