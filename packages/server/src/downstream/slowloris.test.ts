import type { Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '../gateway.js'
import { FLAG, FRAME, frame, h2c, hpack } from '../test/h2-frames.js'
import { eventually, hostileGateway, hostileYaml, type Recorder, startRecorder } from '../test/hostile.js'

/**
 * Slowloris over HTTP/2 (h2c on the suite's HTTP2 port), over real sockets: a client that dribbles
 * a request's head or body is closed within the documented bounds (idle timeout for a head that
 * never completes, request timeout for a body that never does), and never reaches the upstream
 * with a complete request.
 */

const IDLE_MS = 400
const REQUEST_MS = 600

/** HEADERS (END_HEADERS, no END_STREAM) of a POST on stream 1 announcing `length` body bytes. */
function postHeaders(path: string, length: number): Buffer {
  const block = hpack([
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', path],
    [':authority', 'public.example.com'],
    ['content-length', String(length)],
  ])
  return frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, block)
}

describe('HTTP/2 slowloris', () => {
  let recorder: Recorder
  let gw: Gateway
  let port: number
  beforeAll(async () => {
    recorder = await startRecorder()
    gw = await hostileGateway(recorder.port, hostileYaml(), {
      gateway: { limits: { http2IdleTimeoutMs: IDLE_MS, requestTimeoutMs: REQUEST_MS } },
    })
    port = gw.addresses[8080]!.port
  })
  afterAll(async () => {
    await gw?.close()
    await recorder?.close()
  })

  /** Writes `pieces` one every `everyMs` until the socket closes; returns a stop function. */
  function dribble(socket: Socket, pieces: readonly Buffer[], everyMs: number): () => void {
    let i = 0
    const timer = setInterval(() => {
      if (socket.destroyed || i >= pieces.length) return clearInterval(timer)
      socket.write(pieces[i++]!)
    }, everyMs)
    socket.once('close', () => clearInterval(timer))
    return () => clearInterval(timer)
  }

  it('a head dribbled in CONTINUATION frames is no open stream: GOAWAY at the idle timeout, nothing forwarded', async () => {
    const block = hpack([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/public/dribbled-head'],
      [':authority', 'public.example.com'],
      ['x-pad', 'p'.repeat(200)],
    ])
    // HEADERS without END_HEADERS carrying one byte, then one byte per CONTINUATION every 50 ms:
    // 250 bytes take 12 s, far beyond the idle timeout.
    const pieces: Buffer[] = []
    for (let i = 1; i < block.length; i++)
      pieces.push(frame(FRAME.CONTINUATION, 0, 1, block.subarray(i, i + 1)))
    let stop = () => {}
    const answer = await h2c(
      port,
      (socket) => {
        socket.write(frame(FRAME.HEADERS, 0, 1, block.subarray(0, 1)))
        stop = dribble(socket, pieces, 50)
      },
      { timeoutMs: 5000 },
    )
    stop()
    expect(answer.goaway || answer.closed).toBe(true)
    expect(recorder.received.some((r) => r.url === '/public/dribbled-head')).toBe(false)
  })

  it('a body dribbled one byte at a time: 408 and RST_STREAM at requestTimeoutMs; the upstream never gets it whole', async () => {
    const head = postHeaders('/public/dribbled-body', 100000)
    const pieces = Array.from({ length: 200 }, () => frame(FRAME.DATA, 0, 1, Buffer.from('x')))
    let stop = () => {}
    const answer = await h2c(
      port,
      (socket) => {
        socket.write(head)
        stop = dribble(socket, pieces, 50)
      },
      { timeoutMs: 5000, until: (f) => f.type === FRAME.RST_STREAM && f.stream === 1 },
    )
    stop()
    const onStream = answer.frames.filter((f) => f.stream === 1).map((f) => f.type)
    expect(onStream).toContain(FRAME.RST_STREAM)
    // The answer was a 408 head (the upstream had nothing to answer yet: it never saw the body end).
    expect(onStream[0]).toBe(FRAME.HEADERS)
    const received = recorder.received.find((r) => r.url === '/public/dribbled-body')
    expect(received?.complete ?? false).toBe(false)
    // Its upstream request is cancelled, not left open.
    expect(await eventually(() => recorder.openConnections() === 0 || recorder.cancelled() > 0)).toBe(true)
  })

  it('a body that arrives whole within the timeout is not cut', async () => {
    const head = postHeaders('/public/whole-body', 3)
    const answer = await h2c(
      port,
      (socket) => {
        socket.write(head)
        setTimeout(() => socket.write(frame(FRAME.DATA, FLAG.END_STREAM, 1, Buffer.from('abc'))), 100)
      },
      { timeoutMs: 3000, until: (f) => f.type === FRAME.DATA && f.stream === 1 },
    )
    expect(answer.frames.some((f) => f.type === FRAME.RST_STREAM)).toBe(false)
    expect(
      await eventually(() => recorder.received.some((r) => r.url === '/public/whole-body' && r.complete)),
    ).toBe(true)
  })
})
