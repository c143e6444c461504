import { connect as h2connect } from 'node:http2'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Gateway } from '../gateway.js'
import { FRAME, h2c, requestHeaders } from '../test/h2-frames.js'
import {
  certificateFiles,
  eventually,
  get,
  hostileGateway,
  hostileYaml,
  type Recorder,
  raw,
  startRecorder,
  stillServes,
} from '../test/hostile.js'

const HOST = 'Host: public.example.com\r\n'
const cert = certificateFiles(['a.example.com', 'b.example.com'])

describe('request smuggling and header hygiene', () => {
  let recorder: Recorder
  let gw: Gateway
  let port: number
  beforeAll(async () => {
    recorder = await startRecorder()
    gw = await hostileGateway(recorder.port, hostileYaml({ tls: cert }))
    port = gw.addresses[80]!.port
  })
  afterAll(async () => {
    await gw?.close()
    await recorder?.close()
  })
  beforeEach(() => recorder.reset())

  /** Framing errors in the head: 400, the connection closed, nothing (smuggled or not) forwarded. */
  const headVectors: readonly (readonly [string, string])[] = [
    [
      'CL.TE',
      `POST /public/x HTTP/1.1\r\n${HOST}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG`,
    ],
    [
      'TE.CL',
      `POST /public/x HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\nG`,
    ],
    [
      'two equal Content-Length lines',
      `POST /public/x HTTP/1.1\r\n${HOST}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`,
    ],
    [
      'two different Content-Length lines',
      `POST /public/x HTTP/1.1\r\n${HOST}Content-Length: 3\r\nContent-Length: 5\r\n\r\nabcde`,
    ],
    ['Content-Length list 3, 5', `POST /public/x HTTP/1.1\r\n${HOST}Content-Length: 3, 5\r\n\r\nabcde`],
    [
      'CVE-2018-7159: Content-Length with an inner space',
      `POST /public/x HTTP/1.1\r\n${HOST}Content-Length: 1 2\r\n\r\nabc`,
    ],
    ['Content-Length +3', `POST /public/x HTTP/1.1\r\n${HOST}Content-Length: +3\r\n\r\nabc`],
    ['Content-Length -1', `POST /public/x HTTP/1.1\r\n${HOST}Content-Length: -1\r\n\r\nabc`],
    [
      'Content-Length overflow',
      `POST /public/x HTTP/1.1\r\n${HOST}Content-Length: 99999999999999999999999\r\n\r\nabc`,
    ],
    [
      'TE chunked, identity',
      `POST /public/x HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`,
    ],
    ['TE xchunked', `POST /public/x HTTP/1.1\r\n${HOST}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`],
    [
      'two TE lines',
      `POST /public/x HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    ],
    [
      'CVE-2021-22959: space before the colon (Transfer-Encoding :)',
      `POST /public/x HTTP/1.1\r\n${HOST}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`,
    ],
    [
      'CVE-2024-27982: space before Content-Length',
      `POST /public/x HTTP/1.1\r\n${HOST} Content-Length: 3\r\n\r\nabc`,
    ],
    ['obs-fold', `GET /public/x HTTP/1.1\r\n${HOST}X-Folded: a\r\n b\r\n\r\n`],
    ['CVE-2023-30589: bare CR as a line end', `GET /public/x HTTP/1.1\r\n${HOST}X-A: a\rX-B: b\r\n\r\n`],
    ['bare LF line ends', `GET /public/x HTTP/1.1\n${HOST.replace('\r\n', '\n')}X-A: a\n\n`],
    ['CVE-2019-9900: NUL in a header value', `GET /public/x HTTP/1.1\r\n${HOST}X-A: a\x00b\r\n\r\n`],
    ['CR LF injected into a header value', `GET /public/x HTTP/1.1\r\n${HOST}X-A: a\r\nInjected\r\n\r\n`],
  ]
  for (const [name, bytes] of headVectors) {
    it(`${name}: 400, connection closed, never forwarded`, async () => {
      const answer = await raw(port, bytes)
      expect(answer.status).toBe(400)
      expect(answer.responses).toBe(1)
      expect(answer.closed).toBe(true)
      expect(recorder.received).toEqual([])
    })
  }

  /** Framing errors in a chunked body arrive after routing: the upstream must never get a complete request. */
  const bodyVectors: readonly (readonly [string, string, number])[] = [
    ['chunk size zz', 'zz\r\nhello\r\n0\r\n\r\n', 400],
    ['chunk size -1', '-1\r\nhello\r\n0\r\n\r\n', 400],
    ['chunk size 0x5', '0x5\r\nhello\r\n0\r\n\r\n', 400],
    ['overflowing chunk size', 'ffffffffffffffffffff\r\nhello\r\n0\r\n\r\n', 400],
    ['bare LF after a chunk size', '5\nhello\r\n0\r\n\r\n', 400],
    ['CVE-2024-22019: chunk extension over 16 KiB', `5;${'x'.repeat(20_000)}\r\nhello\r\n0\r\n\r\n`, 413],
  ]
  for (const [name, body, status] of bodyVectors) {
    it(`${name}: ${status}, connection closed, the upstream never sees a complete request`, async () => {
      const answer = await raw(
        port,
        `POST /public/x HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n4\r\nfine\r\n${body}GET /public/smuggled HTTP/1.1\r\n${HOST}\r\n`,
      )
      expect(answer.status).toBe(status)
      expect(answer.closed).toBe(true)
      await new Promise((r) => setTimeout(r, 50))
      expect(recorder.received.filter((r) => r.complete)).toEqual([])
      expect(recorder.received.some((r) => r.url.includes('smuggled'))).toBe(false)
    })
  }

  it('CL.0: a GET body is a body, never a second request', async () => {
    const smuggled = `GET /public/smuggled HTTP/1.1\r\n${HOST}\r\n`
    const answer = await raw(
      port,
      `GET /public/x HTTP/1.1\r\n${HOST}Content-Length: ${smuggled.length}\r\nConnection: close\r\n\r\n${smuggled}`,
    )
    expect(answer.status).toBe(200)
    expect(answer.responses).toBe(1)
    expect(recorder.received.map((r) => [r.url, r.body])).toEqual([['/public/x', smuggled]])
  })

  it('pipelined requests are answered in order, each forwarded once', async () => {
    const answer = await raw(
      port,
      `GET /public/1 HTTP/1.1\r\n${HOST}\r\nGET /admin HTTP/1.1\r\n${HOST}\r\nGET /public/3 HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`,
    )
    expect(answer.text.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 403', 'HTTP/1.1 200'])
    expect(recorder.received.map((r) => r.url)).toEqual(['/public/1', '/public/3'])
  })

  it('RFC 9110 7.6.1: hop-by-hop and Connection-nominated request fields never reach the upstream', async () => {
    const answer = await raw(
      port,
      `GET /public/x HTTP/1.1\r\n${HOST}Connection: x-secret, keep-alive, close\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\n` +
        'Proxy-Connection: keep-alive\r\nTE: gzip\r\nTrailer: x-t\r\nProxy-Authorization: Basic eDp5\r\nX-Kept: 1\r\n\r\n',
    )
    expect(answer.status).toBe(200)
    const seen = recorder.received[0]!.headers
    for (const name of [
      'x-secret',
      'keep-alive',
      'proxy-connection',
      'te',
      'trailer',
      'proxy-authorization',
    ]) {
      expect(seen[name], name).toBeUndefined()
    }
    expect(seen['x-kept']).toBe('1')
  })

  it('envoy#7161: an h2c upgrade is stripped (no 101, no Upgrade or HTTP2-Settings upstream)', async () => {
    const answer = await raw(
      port,
      `GET /public/x HTTP/1.1\r\n${HOST}Connection: Upgrade, HTTP2-Settings, close\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n`,
    )
    expect(answer.status).toBe(200)
    const seen = recorder.received[0]!.headers
    expect([seen.upgrade, seen['http2-settings']]).toEqual([undefined, undefined])
  })

  it('hop-by-hop and nominated response fields are removed on HTTP/1.1', async () => {
    const answer = await raw(port, get('/public/_conn'))
    expect(answer.status).toBe(200)
    expect(answer.text).toMatch(/\r\nx-kept: yes\r\n/i)
    for (const name of ['x-nominated', 'keep-alive', 'proxy-connection', 'upgrade']) {
      expect(answer.text.toLowerCase(), name).not.toContain(`\r\n${name}:`)
    }
  })

  it('connection-specific upstream headers never reach an HTTP/2 response (Node would throw)', async () => {
    const tls = gw.addresses[443]!.port
    const result = await new Promise<{ status: number; headers: Record<string, unknown> }>(
      (resolve, reject) => {
        const session = h2connect(`https://127.0.0.1:${tls}`, {
          servername: 'a.example.com',
          rejectUnauthorized: false,
        })
        session.on('error', reject)
        const stream = session.request({ ':path': '/public/_conn', ':authority': 'a.example.com' })
        stream.on('response', (headers) => {
          stream.resume()
          stream.on('end', () => {
            session.close()
            resolve({ status: Number(headers[':status']), headers })
          })
        })
        stream.on('error', reject)
      },
    )
    expect(result.status).toBe(200)
    expect(result.headers['x-kept']).toBe('yes')
    expect(result.headers['x-nominated']).toBeUndefined()
  })

  it('x-forwarded-for gets the peer appended; a client x-forwarded-proto or x-envoy-original-path is overwritten or dropped', async () => {
    await raw(
      port,
      get(
        '/public/x',
        'public.example.com',
        'X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\nX-Envoy-Original-Path: /admin\r\n',
      ),
    )
    const seen = recorder.received[0]!.headers
    expect(seen['x-forwarded-for']).toBe('203.0.113.9,127.0.0.1')
    expect(seen['x-forwarded-proto']).toBe('http')
    expect(seen['x-envoy-original-path']).toBeUndefined()
  })

  it('numTrustedProxies (Istio gatewayTopology): the client address is read that many hops into x-forwarded-for', async () => {
    const xff = 'X-Forwarded-For: 198.51.100.7, 203.0.113.9\r\n'
    await raw(port, get('/ops/x', 'public.example.com', xff))
    // Default 0 hops: a client's XFF is never trusted; the formatter sees the socket peer.
    expect(recorder.received[0]!.headers['x-peer']).toBe('127.0.0.1')
    const trusting = await hostileGateway(recorder.port, hostileYaml(), { gateway: { numTrustedProxies: 1 } })
    try {
      recorder.reset()
      await raw(trusting.addresses[80]!.port, get('/ops/x', 'public.example.com', xff))
      const seen = recorder.received[0]!.headers
      expect(seen['x-peer']).toBe('203.0.113.9')
      expect(seen['x-forwarded-for']).toBe('198.51.100.7, 203.0.113.9,127.0.0.1')
    } finally {
      await trusting.close()
    }
  })

  it('response splitting: a redirect built from request data never carries CR/LF (encoded characters stay encoded)', async () => {
    const answer = await raw(port, get('/redirect/%0d%0aSet-Cookie:%20x=1'))
    expect(answer.status).toBe(301)
    expect(answer.text).toMatch(
      /\r\nlocation: http:\/\/elsewhere\.example\.com\/redirect\/%0d%0aSet-Cookie:%20x=1\r\n/i,
    )
    expect(answer.text.toLowerCase()).not.toContain('\r\nset-cookie')
  })

  it('response splitting: an upstream header with a bare CR gives 502, never a split response', async () => {
    const answer = await raw(port, get('/public/_crlf'))
    expect(answer.status).toBe(502)
    expect(answer.text.toLowerCase()).not.toContain('injected')
  })

  it('RFC 9113 8.2.1: h2 fields with CR/LF/NUL, uppercase or connection-specific names are never forwarded', async () => {
    const h2port = gw.addresses[8080]!.port
    const answer = await h2c(
      h2port,
      Buffer.concat([
        requestHeaders(1, '/public/crlf', 'public.example.com', [['x-a', 'a\r\ninjected: 1']]),
        requestHeaders(3, '/public/nul', 'public.example.com', [['x-a', 'a\x00b']]),
        requestHeaders(5, '/public/upper', 'public.example.com', [['X-Upper', '1']]),
        requestHeaders(7, '/public/conn', 'public.example.com', [['connection', 'keep-alive']]),
        requestHeaders(9, '/public/te', 'public.example.com', [['te', 'gzip']]),
        requestHeaders(11, '/public/auth\r\nx: y', 'public.example.com'),
        requestHeaders(13, '/public/ok', 'public.example.com'),
      ]),
      { timeoutMs: 1000 },
    )
    expect(answer.frames.some((f) => f.type === FRAME.HEADERS)).toBe(true)
    await eventually(() => recorder.received.some((r) => r.url === '/public/ok'), 1000)
    // nghttp2 drops a field with CR/LF/NUL and delivers the rest; uppercase and
    // connection-specific names reset the stream; a :path with CR/LF is refused.
    for (const r of recorder.received) {
      expect(JSON.stringify(r.rawHeaders), r.url).not.toMatch(/injected|\\r|\\n|\\u0000/)
      expect(r.headers['x-a'], r.url).toBeUndefined()
      expect(['/public/crlf', '/public/nul', '/public/ok']).toContain(r.url)
    }
    expect(recorder.received.some((r) => r.url === '/public/ok')).toBe(true)
  })

  it('the gateway still serves after every smuggling and hygiene attack', async () => {
    await stillServes(gw, recorder)
  })
})
