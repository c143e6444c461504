/**
 * HTTP/2 connections end: after a connection error (RFC 9113 §5.4.1 — GOAWAY, then the TCP
 * connection is closed), and after the idle timeout. Counted on the gateway's side of real
 * sockets, read from the kernel's table of TCP connections.
 */
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { connect as http2Connect } from 'node:http2'
import { type AddressInfo, connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '../gateway.js'
import { FRAME, frame, PREFACE } from '../test/h2-frames.js'
import {
  certificateFiles,
  eventually,
  hostileGateway,
  hostileYaml,
  type Recorder,
  startRecorder,
  stillServes,
} from '../test/hostile.js'

const TCP_LISTEN = '0A'
const TCP_TIME_WAIT = '06'

/**
 * Connections whose local end is `port` and that still hold a socket on this host (every state
 * but LISTEN and TIME_WAIT, which has none); the clients' ends have ephemeral local ports.
 */
function openConnections(port: number): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`
  let count = 0
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/)
      if (local?.endsWith(hex) && state !== TCP_LISTEN && state !== TCP_TIME_WAIT) count++
    }
  }
  return count
}

/** DATA on stream 0: a connection error of type PROTOCOL_ERROR (RFC 9113 §6.1). */
const CONNECTION_ERROR = Buffer.concat([
  PREFACE,
  frame(FRAME.SETTINGS, 0, 0),
  frame(FRAME.DATA, 0, 0, Buffer.from('x')),
])

interface Hostile {
  /** Frame types the gateway sent, in order. */
  readonly frames: number[]
  /** The gateway closed the connection. */
  closed: boolean
  readonly tcp: Socket
}

/**
 * A client that sends `bytes` after the handshake (TLS with ALPN h2 when `servername` is given,
 * h2c otherwise) and then, with `finish`, closes its sending side the way a client that simply
 * exits does: a TCP FIN without a TLS close_notify.
 */
function hostileClient(port: number, bytes: Buffer, finish: boolean, servername?: string): Hostile {
  const tcp = netConnect(port, '127.0.0.1')
  const out: Hostile = { frames: [], closed: false, tcp }
  tcp.on('error', () => {})
  tcp.once('close', () => {
    out.closed = true
  })
  let buffer = Buffer.alloc(0)
  const collect = (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk])
    while (buffer.length >= 9 && buffer.length >= 9 + buffer.readUIntBE(0, 3)) {
      out.frames.push(buffer[3]!)
      buffer = buffer.subarray(9 + buffer.readUIntBE(0, 3))
    }
  }
  const send = (write: (b: Buffer, done: () => void) => void) =>
    write(bytes, () => {
      if (finish) tcp.end()
    })
  if (servername === undefined) {
    tcp.on('data', collect)
    tcp.once('connect', () => send((b, done) => tcp.write(b, done)))
  } else {
    const tls = tlsConnect({ socket: tcp, servername, ALPNProtocols: ['h2'], rejectUnauthorized: false })
    tls.on('error', () => {})
    tls.on('data', collect)
    tls.once('secureConnect', () => send((b, done) => tls.write(b, done)))
  }
  return out
}

describe('HTTP/2 connections are closed', () => {
  let recorder: Recorder
  let gateway: Gateway
  let tlsPort: number
  let h2cPort: number

  beforeAll(async () => {
    recorder = await startRecorder()
    const tls = certificateFiles(['a.example.com', 'b.example.com'])
    gateway = await hostileGateway(recorder.port, hostileYaml({ tls }), {
      gateway: { limits: { http2PingTimeoutMs: 1_000, http2IdleTimeoutMs: 2_000 } },
    })
    tlsPort = gateway.addresses[443]!.port
    h2cPort = gateway.addresses[8080]!.port
  })
  afterAll(async () => {
    await gateway.close()
    await recorder.close()
  })

  it('RFC 9113 §5.4.1: 50 TLS clients that send DATA on stream 0 and close their side leave no connection behind', async () => {
    expect(openConnections(tlsPort)).toBe(0)
    const clients = Array.from({ length: 50 }, () =>
      hostileClient(tlsPort, CONNECTION_ERROR, true, 'a.example.com'),
    )
    expect(await eventually(() => clients.every((c) => c.frames.includes(FRAME.GOAWAY)), 5_000)).toBe(true)
    // Closed by the gateway within the PING timeout and a sweep or two, not when the port goes away.
    expect(await eventually(() => openConnections(tlsPort) === 0, 6_000)).toBe(true)
    expect(clients.every((c) => c.closed)).toBe(true)
    await stillServes(gateway, recorder)
  })

  it('RFC 9113 §5.4.1: the gateway closes the connection even when the client keeps its side open (TLS and h2c)', async () => {
    const clients = [
      ...Array.from({ length: 5 }, () => hostileClient(tlsPort, CONNECTION_ERROR, false, 'b.example.com')),
      ...Array.from({ length: 5 }, () => hostileClient(h2cPort, CONNECTION_ERROR, false)),
    ]
    expect(await eventually(() => clients.every((c) => c.closed), 6_000)).toBe(true)
    expect(clients.every((c) => c.frames.includes(FRAME.GOAWAY))).toBe(true)
    expect(await eventually(() => openConnections(tlsPort) + openConnections(h2cPort) === 0, 3_000)).toBe(
      true,
    )
  })

  it('a healthy idle connection answers the PING and stays open until the idle timeout, then gets GOAWAY (NO_ERROR)', async () => {
    const session = http2Connect(`https://127.0.0.1:${tlsPort}`, {
      servername: 'a.example.com',
      rejectUnauthorized: false,
    })
    session.on('error', () => {})
    let goaway: number | undefined
    session.on('goaway', (code: number) => {
      goaway = code
    })
    const opened = Date.now()
    const status = await new Promise<number>((resolve, reject) => {
      const req = session.request({ ':path': '/public/idle', ':authority': 'a.example.com' })
      req.on('response', (h) => resolve(Number(h[':status'])))
      req.on('error', reject)
      req.resume()
    })
    expect(status).toBe(200)
    // Past the PING timeout: the sweep's PING was answered, so the connection is still there.
    await new Promise((r) => setTimeout(r, 1_500))
    expect(session.closed || session.destroyed).toBe(false)
    const closed = await eventually(() => session.destroyed || session.closed, 4_000)
    expect(closed).toBe(true)
    expect(goaway).toBe(0)
    expect(Date.now() - opened).toBeGreaterThanOrEqual(2_000)
    session.destroy()
  })
})

describe('HTTP/2 idle timeout', () => {
  let upstream: Server
  let gateway: Gateway

  beforeAll(async () => {
    // Answers after `?ms=` milliseconds.
    upstream = createServer((req, res) => {
      const ms = Number(/ms=(\d+)/.exec(req.url ?? '')?.[1] ?? 0)
      setTimeout(() => res.end('late'), ms)
    })
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
    gateway = await hostileGateway((upstream.address() as AddressInfo).port, hostileYaml(), {
      gateway: { limits: { http2IdleTimeoutMs: 300, http2PingTimeoutMs: 1_000 } },
    })
  })
  afterAll(async () => {
    await gateway.close()
    await new Promise<void>((resolve) => upstream.close(() => resolve()))
  })

  it('counts only connections without open streams: a request slower than the idle timeout completes', async () => {
    const port = gateway.addresses[8080]!.port
    const session = http2Connect(`http://127.0.0.1:${port}`)
    session.on('error', () => {})
    const body = await new Promise<string>((resolve, reject) => {
      const req = session.request({ ':path': '/public/slow?ms=1200', ':authority': 'public.example.com' })
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => resolve(Buffer.concat(chunks).toString()))
      req.on('error', reject)
      req.end()
    })
    expect(body).toBe('late')
    expect(await eventually(() => session.destroyed || session.closed, 3_000)).toBe(true)
    session.destroy()
    expect(await eventually(() => openConnections(port) === 0, 2_000)).toBe(true)
  })

  it('a connection that never opens a stream is closed after the idle timeout', async () => {
    const port = gateway.addresses[8080]!.port
    const client = hostileClient(port, Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0)]), false)
    expect(await eventually(() => client.closed, 3_000)).toBe(true)
    expect(client.frames).toContain(FRAME.GOAWAY)
  })
})
