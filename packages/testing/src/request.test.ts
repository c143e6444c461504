import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import {
  createServer as createH2cServer,
  createSecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2'
import { createServer as createNetServer, type Server, type Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { afterEach, describe, expect, it } from 'vitest'
import { createCertificate, createCertificateAuthority } from './certs.js'
import { parseTarget, rawRequest, request } from './request.js'

const ca = createCertificateAuthority()
const serverCert = createCertificate({ commonName: 'httpbin.example.com', ca })

type Closable = {
  close(cb?: () => void): unknown
  listen(port: number, host: string, cb: () => void): unknown
  on(event: 'connection', cb: (socket: Socket) => void): unknown
}
const open: Closable[] = []
const sockets = new Set<Socket>()
afterEach(async () => {
  const closing = open.splice(0).map((s) => new Promise((r) => s.close(() => r(undefined))))
  for (const socket of sockets) socket.destroy()
  sockets.clear()
  await Promise.all(closing)
})

async function listen(server: Closable & { address(): unknown }): Promise<number> {
  open.push(server)
  server.on('connection', (socket) => sockets.add(socket))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return (server.address() as { port: number }).port
}

/** Echoes what the request looked like from the server side. */
function echo(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const socket = req.socket as TLSSocket
    res.setHeader('content-type', 'application/json')
    res.setHeader('set-cookie', ['a=1', 'b=2'])
    res.end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        host: req.headers.host ?? req.headers[':authority'],
        version: req.httpVersion,
        sni: socket.servername ?? null,
        alpn: socket.alpnProtocol ?? null,
        client:
          typeof socket.getPeerCertificate === 'function'
            ? (socket.getPeerCertificate().subject?.CN ?? null)
            : null,
        custom: req.headers['x-custom'] ?? null,
        body: Buffer.concat(chunks).toString(),
      }),
    )
  })
}

interface Echo {
  method: string
  url: string
  host: string
  version: string
  sni: string | null
  alpn: string | null
  client: string | null
  custom: string | null
  body: string
}

describe('parseTarget', () => {
  it('reads numbers, host:port and [v6]:port', () => {
    expect(parseTarget(8080)).toEqual({ host: '127.0.0.1', port: 8080 })
    expect(parseTarget('localhost:81')).toEqual({ host: 'localhost', port: 81 })
    expect(parseTarget('[::1]:82')).toEqual({ host: '::1', port: 82 })
    expect(parseTarget({ host: '10.0.0.1', port: 83 })).toEqual({ host: '10.0.0.1', port: 83 })
    expect(() => parseTarget('nope')).toThrow(TypeError)
  })
})

describe('request', () => {
  it('sends the URL name as Host over HTTP/1.1 to the target address', async () => {
    const port = await listen(createHttpServer(echo))
    const res = await request(port, {
      url: 'http://httpbin.example.com:8080/status/200?x=1',
      method: 'POST',
      headers: { 'x-custom': 'yes' },
      body: 'hello',
    })
    expect(res.status).toBe(200)
    expect(res.protocol).toBe('http/1.1')
    expect(res.httpVersion).toBe('1.1')
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2'])
    expect(res.json<Echo>()).toMatchObject({
      method: 'POST',
      url: '/status/200?x=1',
      host: 'httpbin.example.com:8080',
      custom: 'yes',
      body: 'hello',
    })
    expect(res.peerCertificate).toBeUndefined()
  })

  it('sends SNI and verifies the server certificate over TLS', async () => {
    const port = await listen(createSecureServer({ ...serverCert, allowHTTP1: true }, echo))
    const res = await request(`127.0.0.1:${port}`, { url: 'https://httpbin.example.com/get', ca: ca.cert })
    expect(res.protocol).toBe('http/1.1')
    expect(res.json<Echo>()).toMatchObject({
      sni: 'httpbin.example.com',
      alpn: 'http/1.1',
      host: 'httpbin.example.com',
    })
    expect(res.peerCertificate?.subject.CN).toBe('httpbin.example.com')
  })

  it('negotiates h2 by ALPN and sends :authority', async () => {
    const port = await listen(createSecureServer({ ...serverCert, allowHTTP1: true }, echo))
    const res = await request(port, {
      url: 'https://httpbin.example.com/headers',
      ca: ca.cert,
      http2: true,
      method: 'PUT',
      body: Buffer.from('h2 body'),
      headers: { 'x-custom': 'h2' },
    })
    expect(res.protocol).toBe('h2')
    expect(res.httpVersion).toBe('2.0')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('application/json')
    expect(res.json<Echo>()).toMatchObject({
      method: 'PUT',
      version: '2.0',
      alpn: 'h2',
      host: 'httpbin.example.com',
      custom: 'h2',
      body: 'h2 body',
    })
  })

  it('falls back to HTTP/1.1 when the server does not offer h2', async () => {
    const { createServer } = await import('node:https')
    const port = await listen(createServer({ ...serverCert }, echo))
    const res = await request(port, { url: 'https://httpbin.example.com/', ca: ca.cert, http2: true })
    expect(res.protocol).toBe('http/1.1')
  })

  it('speaks h2 with prior knowledge on cleartext', async () => {
    const port = await listen(createH2cServer(echo))
    const res = await request(port, { url: 'http://httpbin.example.com/x', http2: true })
    expect(res.protocol).toBe('h2')
    expect(res.json<Echo>().host).toBe('httpbin.example.com')
  })

  it('presents a client certificate for mutual TLS', async () => {
    const port = await listen(
      createSecureServer(
        { ...serverCert, ca: ca.cert, requestCert: true, rejectUnauthorized: true, allowHTTP1: true },
        echo,
      ),
    )
    const clientCert = createCertificate({ commonName: 'client.example.com', ca, keyType: 'rsa' })
    for (const http2 of [false, true]) {
      const res = await request(port, { url: 'https://httpbin.example.com/', ca: ca.cert, clientCert, http2 })
      expect(res.json<Echo>().client).toBe('client.example.com')
    }
    await expect(request(port, { url: 'https://httpbin.example.com/', ca: ca.cert })).rejects.toHaveProperty(
      'code',
    )
  })

  it('rejects an untrusted certificate unless insecure, keeping the error code', async () => {
    const port = await listen(createSecureServer({ ...serverCert, allowHTTP1: true }, echo))
    await expect(request(port, { url: 'https://httpbin.example.com/' })).rejects.toMatchObject({
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    })
    await expect(request(port, { url: 'https://wrong.example.com/', ca: ca.cert })).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    })
    const res = await request(port, { url: 'https://wrong.example.com/', insecure: true })
    expect(res.json<Echo>().sni).toBe('wrong.example.com')
  })

  it('rejects with ECONNREFUSED when nothing listens', async () => {
    const server = createNetServer()
    const port = await listen(server)
    await new Promise((r) => server.close(r))
    open.splice(open.indexOf(server), 1)
    await expect(request(port, { url: 'http://a.test/' })).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })

  it('times out with ETIMEDOUT when the server never answers', async () => {
    const server: Server = createNetServer(() => {})
    const port = await listen(server)
    const started = Date.now()
    await expect(request(port, { url: 'http://a.test/', timeoutMs: 200 })).rejects.toMatchObject({
      code: 'ETIMEDOUT',
    })
    expect(Date.now() - started).toBeGreaterThanOrEqual(150)
  })
})

describe('rawRequest', () => {
  it('returns what the server wrote until it closed', async () => {
    const port = await listen(
      createNetServer((socket) => {
        socket.once('data', (d: Buffer) => socket.end(`got ${d.length} bytes`))
      }),
    )
    const out = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')
    expect(out.toString()).toBe('got 27 bytes')
  })

  it('speaks raw bytes over TLS with SNI', async () => {
    const port = await listen(createSecureServer({ ...serverCert, allowHTTP1: true }, echo))
    const out = await rawRequest(port, 'GET /raw HTTP/1.1\r\nHost: x.test\r\nConnection: close\r\n\r\n', {
      tls: true,
      servername: 'httpbin.example.com',
    })
    expect(out.toString()).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(out.toString()).toContain('"sni":"httpbin.example.com"')
  })

  it('returns what arrived when the timeout passes on an open connection', async () => {
    const port = await listen(createNetServer((socket) => socket.write('partial')))
    const out = await rawRequest(port, 'x', { timeoutMs: 200 })
    expect(out.toString()).toBe('partial')
  })
})
