import { connect as h2connect } from 'node:http2'
import { connect as tlsConnect } from 'node:tls'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Gateway } from '../gateway.js'
import {
  certificateFiles,
  get,
  hostileGateway,
  hostileYaml,
  type Recorder,
  raw,
  startRecorder,
  stillServes,
} from '../test/hostile.js'

const cert = certificateFiles(['a.example.com', 'b.example.com'])

/** One HTTP/2 request over TLS with the given SNI and `:authority`. */
function h2(
  port: number,
  servername: string,
  authority: string,
  path = '/public/x',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const session = h2connect(`https://127.0.0.1:${port}`, { servername, rejectUnauthorized: false })
    session.on('error', reject)
    const stream = session.request({ ':path': path, ':authority': authority })
    let status = 0
    let body = ''
    stream.on('response', (h) => {
      status = Number(h[':status'])
    })
    stream.setEncoding('utf8')
    stream.on('data', (d: string) => {
      body += d
    })
    stream.on('end', () => {
      session.close()
      resolve({ status, body })
    })
    stream.on('error', reject)
  })
}

/** Whether a TLS handshake with these options completes. */
function handshake(port: number, options: Record<string, unknown>): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options })
    socket.once('secureConnect', () => {
      // With TLS 1.3 a refusal can surface at the first read: wait briefly for it.
      setTimeout(() => {
        const alive = !socket.destroyed
        socket.destroy()
        resolve(alive)
      }, 50)
    })
    socket.once('error', () => resolve(false))
    socket.once('close', () => resolve(false))
  })
}

describe('hostile hosts and authorities', () => {
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

  it('CVE-2021-39155: the Host is matched case-insensitively, with any port, and forwarded as sent', async () => {
    for (const host of ['PUBLIC.Example.COM', 'public.example.com:8080', 'Public.Example.Com:80']) {
      const answer = await raw(port, get('/public/x', host))
      expect(answer.status, host).toBe(200)
    }
    expect(recorder.received.map((r) => r.headers.host)).toEqual([
      'PUBLIC.Example.COM',
      'public.example.com:8080',
      'Public.Example.Com:80',
    ])
  })

  it('a trailing dot is not stripped (Envoy strip_trailing_host_dot is opt-in): 404', async () => {
    expect((await raw(port, get('/public/x', 'public.example.com.'))).status).toBe(404)
    expect(recorder.received).toEqual([])
  })

  it('RFC 9112 3.2: HTTP/1.1 without Host is refused with 400', async () => {
    const answer = await raw(port, 'GET /public/x HTTP/1.1\r\nConnection: close\r\n\r\n')
    expect(answer.status).toBe(400)
    expect(recorder.received).toEqual([])
  })

  it('RFC 9112 3.2: two Host lines are refused with 400, whichever comes first', async () => {
    for (const [a, b] of [
      ['public.example.com', 'evil.example.com'],
      ['evil.example.com', 'public.example.com'],
      ['public.example.com', 'public.example.com'],
    ] as const) {
      const answer = await raw(port, get('/public/x', a, `Host: ${b}\r\n`))
      expect(answer.status, `${a} ${b}`).toBe(400)
    }
    expect(recorder.received).toEqual([])
  })

  it('malformed authorities are refused with 400, never URL-parsed into a host', async () => {
    for (const host of [
      'evil@public.example.com',
      'public.example.com@evil',
      'public.example.com/../x',
      'public.example.com\\x',
      'public.example.com:',
      'public.example.com:80x',
      'public.example.com:-1',
      '[::1',
      '[::1]x',
      ':80',
      'a b',
      'public.example.com?x',
      'public.example.com#x',
    ]) {
      const answer = await raw(port, get('/public/x', host))
      expect(answer.status, host).toBe(400)
    }
    const empty = await raw(port, 'GET /public/x HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n')
    expect(empty.status).toBe(400)
    expect(recorder.received).toEqual([])
  })

  it('HTTP/1.0 is answered 426 (Envoy accept_http_10 off) and HTTP/0.9 gets no route', async () => {
    const h10 = await raw(port, 'GET /public/x HTTP/1.0\r\nHost: public.example.com\r\n\r\n')
    expect(h10.status).toBe(426)
    const h09 = await raw(port, 'GET /public/x\r\n\r\n')
    expect(h09.status === 0 || h09.status >= 400).toBe(true)
    expect(recorder.received).toEqual([])
  })

  it('HTTP/2: :authority wins over a host header and is what the upstream sees', async () => {
    const tls = gw.addresses[443]!.port
    const ok = await h2(tls, 'a.example.com', 'a.example.com')
    expect(ok.status).toBe(200)
    expect(recorder.received.map((r) => r.headers.host)).toEqual(['a.example.com'])
  })

  it('TLS: an :authority the SNI-chosen server does not serve gets 404 by default (Istio), never the other server', async () => {
    const tls = gw.addresses[443]!.port
    const misdirected = await h2(tls, 'a.example.com', 'b.example.com')
    expect(misdirected.status).toBe(404)
    const h1 = await new Promise<string>((resolve) => {
      const s = tlsConnect({
        host: '127.0.0.1',
        port: tls,
        servername: 'a.example.com',
        rejectUnauthorized: false,
      })
      let out = ''
      s.on('secureConnect', () => s.write(get('/public/x', 'b.example.com')))
      s.on('data', (d) => (out += d))
      s.on('close', () => resolve(out))
      s.on('error', () => resolve(out))
    })
    expect(h1).toMatch(/^HTTP\/1\.1 404/)
    expect(recorder.received).toEqual([])
  })

  it('TLS: with misdirectedStatus 421 the same request gets 421 Misdirected Request (RFC 9110 15.5.20)', async () => {
    const gw421 = await hostileGateway(recorder.port, hostileYaml({ tls: cert }), {
      compile: { misdirectedStatus: 421 },
    })
    try {
      const tls = gw421.addresses[443]!.port
      expect((await h2(tls, 'a.example.com', 'b.example.com')).status).toBe(421)
      expect((await h2(tls, 'a.example.com', 'nobody.example.com')).status).toBe(404)
      expect(recorder.received).toEqual([])
      expect((await h2(tls, 'b.example.com', 'b.example.com')).status).toBe(200)
    } finally {
      await gw421.close()
    }
  })

  it('TLS: an unknown SNI, or none where no server admits *, fails the handshake', async () => {
    const tls = gw.addresses[443]!.port
    expect(await handshake(tls, { servername: 'evil.example.com' })).toBe(false)
    expect(await handshake(tls, { servername: '' })).toBe(false)
    expect(await handshake(tls, { servername: 'a.example.com' })).toBe(true)
  })

  it("TLS: Envoy's cipher list and TLS >= 1.2 are enforced (no CBC, no RSA key transport, no TLS 1.1)", async () => {
    const tls = gw.addresses[443]!.port
    const base = { servername: 'a.example.com', maxVersion: 'TLSv1.2' }
    expect(await handshake(tls, { ...base, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' })).toBe(true)
    for (const cipher of [
      'AES128-SHA',
      'ECDHE-RSA-AES128-SHA',
      'ECDHE-RSA-AES128-SHA256',
      'AES128-GCM-SHA256',
    ]) {
      expect(await handshake(tls, { ...base, ciphers: cipher }), cipher).toBe(false)
    }
    expect(
      await handshake(tls, {
        servername: 'a.example.com',
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
        ciphers: 'ALL:@SECLEVEL=0',
      }),
    ).toBe(false)
  })

  it('TLS: bytes that are not a ClientHello are dropped without an answer', async () => {
    const tls = gw.addresses[443]!.port
    const answer = await raw(tls, get('/public/x'))
    expect(answer.text).toBe('')
    expect(answer.closed).toBe(true)
  })

  it('the gateway still serves after every host and TLS attack', async () => {
    await stillServes(gw, recorder)
    expect((await h2(gw.addresses[443]!.port, 'b.example.com', 'b.example.com')).status).toBe(200)
  })
})
