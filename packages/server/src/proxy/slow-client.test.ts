import { createServer, type Server, type ServerResponse } from 'node:http'
import { connect as h2connect } from 'node:http2'
import { type AddressInfo, connect, type Socket } from 'node:net'
import type { Readable } from 'node:stream'
import { parseResources } from '@portico/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGateway, type Gateway } from '../gateway.js'
import { eventually } from '../test/hostile.js'
import { serviceYaml } from '../test/service.js'

/**
 * Slow clients over real sockets: a client that reads a large response at about 1 KiB/s must not
 * make the gateway read (and buffer) the whole upstream body. The upstream writes as fast as its
 * socket takes bytes and records when a write is refused (its socket's buffer full, waiting for
 * 'drain'): backpressure reached it. What it managed to write is bounded by the socket buffers
 * between it and the client plus the gateway's per-stream buffers, far below the body's size.
 */

const BODY = 64 * 1024 * 1024
const CHUNK = 256 * 1024
/** Upstream bytes that may be in flight toward a stalled client: kernel buffers on both hops and the gateway's own. */
const IN_FLIGHT_BOUND = 24 * 1024 * 1024

interface Stream {
  written: number
  blocked: boolean
  finished: boolean
  closed: boolean
}

class BigUpstream {
  readonly server: Server
  readonly streams: Stream[] = []
  readonly #sockets = new Set<Socket>()

  constructor() {
    this.server = createServer((_req, res) => this.#serve(res))
    this.server.on('connection', (s: Socket) => {
      this.#sockets.add(s)
      s.once('close', () => this.#sockets.delete(s))
    })
  }

  #serve(res: ServerResponse): void {
    const stream: Stream = { written: 0, blocked: false, finished: false, closed: false }
    this.streams.push(stream)
    res.writeHead(200, { 'content-length': String(BODY), 'content-type': 'application/octet-stream' })
    const chunk = Buffer.alloc(CHUNK, 0x61)
    res.once('close', () => {
      stream.closed = true
    })
    const pump = () => {
      while (stream.written < BODY && !stream.closed) {
        stream.written += CHUNK
        if (!res.write(chunk)) {
          stream.blocked = true
          return void res.once('drain', pump)
        }
      }
      if (stream.written >= BODY && !stream.finished) {
        stream.finished = true
        res.end()
      }
    }
    pump()
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    return (this.server.address() as AddressInfo).port
  }

  close(): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits until the upstream's written count stops moving (for `quietMs`), then returns it. */
async function settled(stream: Stream, quietMs = 600): Promise<number> {
  let last = -1
  for (let i = 0; i < 40; i++) {
    if (stream.written === last) return last
    last = stream.written
    await sleep(quietMs)
  }
  return stream.written
}

/**
 * Reads about 1 KiB per second for three seconds from a paused `source`, then checks that the
 * upstream was held back: its writes blocked, the body unfinished, far less than the body written.
 */
async function readSlowly(source: Readable, stream: Stream, protocol: string): Promise<void> {
  let read = 0
  for (let second = 0; second < 3; second++) {
    await sleep(1000)
    const piece = source.read(1024) as Buffer | null
    read += piece?.length ?? 0
  }
  const written = await settled(stream)
  expect(read).toBeGreaterThan(0)
  expect(stream.blocked).toBe(true)
  expect(stream.finished).toBe(false)
  expect(written).toBeLessThan(IN_FLIGHT_BOUND)
  console.log(
    `slow ${protocol} reader: read ${read} B, upstream wrote ${(written / 2 ** 20).toFixed(1)} MiB of 64 MiB`,
  )
}

describe('slow clients: backpressure from a slow reader to the upstream', () => {
  let upstream: BigUpstream
  let gw: Gateway
  beforeAll(async () => {
    upstream = new BigUpstream()
    const upstreamPort = await upstream.start()
    const { resources } = parseResources(serviceYaml('big', upstreamPort), 'slow.yaml')
    gw = await createGateway({ config: { resources }, ports: { 80: 0, 8080: 0 }, drainTimeoutMs: 200 })
  })
  afterAll(async () => {
    await gw.close()
    await upstream.close()
  })

  it('HTTP/1.1: a client reading 1 KiB/s holds the upstream to what the buffers between them take', async () => {
    const socket = connect(gw.addresses[80]!.port, '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    socket.write('GET /big HTTP/1.1\r\nHost: big.example.com\r\n\r\n')
    socket.pause()
    expect(await eventually(() => upstream.streams.length === 1)).toBe(true)
    const stream = upstream.streams[0]!
    await readSlowly(socket, stream, 'HTTP/1.1')
    // The client leaves: the upstream request is cancelled, nothing is left writing.
    socket.destroy()
    expect(await eventually(() => stream.closed)).toBe(true)
  }, 60_000)

  it('HTTP/2: a stream read at 1 KiB/s holds the upstream likewise (flow control, then backpressure)', async () => {
    const session = h2connect(`http://127.0.0.1:${gw.addresses[8080]!.port}`)
    session.on('error', () => {})
    const before = upstream.streams.length
    const request = session.request({ ':path': '/big', ':authority': 'big.example.com' })
    request.on('error', () => {})
    request.pause()
    const status = await new Promise<number>((resolve) =>
      request.once('response', (headers) => resolve(Number(headers[':status']))),
    )
    expect(status).toBe(200)
    const stream = upstream.streams[before]!
    await readSlowly(request, stream, 'HTTP/2')
    request.close()
    session.destroy()
    expect(await eventually(() => stream.closed)).toBe(true)
  }, 60_000)
})
