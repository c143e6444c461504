import { constants, connect as h2connect } from 'node:http2'
import { connect as netConnect, type Socket } from 'node:net'
import { request } from '@portico/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGateway, type Gateway } from '../gateway.js'
import {
  cluster,
  config,
  destination,
  forwardSpec,
  httpServer,
  listener,
  selfSigned,
  startUpstream,
  testRoute,
  type Upstream,
} from '../test/config.js'

const C = 'outbound|8000||backend'
const cert = selfSigned(['a.example.com'])

describe('hostile clients', () => {
  let upstream: Upstream
  let gw: Gateway
  beforeAll(async () => {
    upstream = await startUpstream()
    const route = [
      {
        prefix: '/',
        action: { kind: 'route', route: forwardSpec({ destinations: [destination(C)] }) },
      } as const,
    ]
    gw = await createGateway({
      config: config(
        [
          listener(80, 'HTTP', [httpServer('http.80', ['*'], route)]),
          listener(443, 'HTTPS', [
            httpServer('https.443', ['a.example.com'], route, {
              mode: 'SIMPLE',
              certificate: { kind: 'file', path: cert.certFile },
              privateKey: { kind: 'file', path: cert.keyFile },
              subjectAltNames: [],
              minVersion: 'TLSv1.2',
            }),
          ]),
        ],
        [cluster(C, [{ port: upstream.port }])],
      ),
      ports: { 80: 0, 443: 0 },
      route: testRoute,
      drainTimeoutMs: 200,
    })
  })
  afterAll(async () => {
    await gw?.close()
    await upstream?.close()
  })

  const healthy = async () => {
    const h1 = gw.addresses[80]!.port
    const h2 = gw.addresses[443]!.port
    expect((await request(h1, { url: `http://a.example.com:${h1}/status/200` })).status).toBe(200)
    const r = await request(h2, { url: `https://a.example.com:${h2}/status/200`, http2: true, ca: cert.cert })
    expect([r.protocol, r.status]).toEqual(['h2', 200])
  }

  it('survives an HTTP/2 rapid-reset burst and still serves h1 and h2', async () => {
    const port = gw.addresses[443]!.port
    await new Promise<void>((resolve) => {
      const session = h2connect(`https://127.0.0.1:${port}`, { servername: 'a.example.com', ca: cert.cert })
      session.on('error', () => {})
      session.on('close', () => resolve())
      session.on('connect', () => {
        for (let i = 0; i < 2000 && !session.destroyed && !session.closed; i++) {
          try {
            const s = session.request({ ':path': '/delay/1000', ':authority': 'a.example.com' })
            s.on('error', () => {})
            s.close(constants.NGHTTP2_CANCEL)
          } catch {
            break
          }
        }
        setTimeout(() => session.destroy(), 500)
      })
    })
    await healthy()
  })

  it('answers a normal request while 200 clients dribble their headers', async () => {
    const port = gw.addresses[80]!.port
    const sockets: Socket[] = []
    for (let i = 0; i < 200; i++) {
      const s = netConnect(port, '127.0.0.1', () =>
        s.write('GET / HTTP/1.1\r\nHost: a.example.com\r\nX-Slow: '),
      )
      s.on('error', () => {})
      sockets.push(s)
    }
    const timer = setInterval(() => {
      for (const s of sockets) s.write('a')
    }, 100)
    try {
      await healthy()
    } finally {
      clearInterval(timer)
      for (const s of sockets) s.destroy()
    }
  })

  it('never forwards a request whose framing is ambiguous (CL + TE)', async () => {
    const port = gw.addresses[80]!.port
    const before = upstream.count
    const reply = await new Promise<string>((resolve) => {
      const s = netConnect(port, '127.0.0.1', () =>
        s.write(
          'POST / HTTP/1.1\r\nHost: a.example.com\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a.example.com\r\n\r\n',
        ),
      )
      let out = ''
      s.on('data', (d) => (out += d))
      s.on('close', () => resolve(out))
      s.on('error', () => resolve(out))
    })
    expect(reply).toMatch(/^HTTP\/1\.1 400/)
    expect(upstream.count).toBe(before)
    expect(upstream.seen.some((r) => r.url === '/smuggled')).toBe(false)
  })
})
