/**
 * Test-only raw HTTP/2 frames (RFC 9113 §4, §6) and an HPACK literal encoder (RFC 7541 §6.2.2,
 * never indexed and never Huffman-coded), for requests no well-behaved client library sends.
 */
import { connect as netConnect, type Socket } from 'node:net'

/** The client connection preface. */
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

/** Frame types used here. */
export const FRAME = {
  DATA: 0x0,
  HEADERS: 0x1,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PING: 0x6,
  GOAWAY: 0x7,
  CONTINUATION: 0x9,
} as const

/** Flags used here. */
export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const

/** One frame: 9-byte header then the payload. */
export function frame(
  type: number,
  flags: number,
  stream: number,
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  const head = Buffer.alloc(9)
  head.writeUIntBE(payload.length, 0, 3)
  head[3] = type
  head[4] = flags
  head.writeUInt32BE(stream & 0x7fffffff, 5)
  return Buffer.concat([head, payload])
}

function integer(value: number, prefixBits: number, first: number): Buffer {
  const max = (1 << prefixBits) - 1
  if (value < max) return Buffer.from([first | value])
  const out = [first | max]
  let rest = value - max
  while (rest >= 128) {
    out.push((rest % 128) + 128)
    rest = Math.floor(rest / 128)
  }
  out.push(rest)
  return Buffer.from(out)
}

/** An HPACK header block of literal fields, "never indexed", names and values as raw bytes. */
export function hpack(fields: readonly (readonly [string, string])[]): Buffer {
  const parts: Buffer[] = []
  for (const [name, value] of fields) {
    const n = Buffer.from(name, 'latin1')
    const v = Buffer.from(value, 'latin1')
    parts.push(Buffer.from([0x10]), integer(n.length, 7, 0), n, integer(v.length, 7, 0), v)
  }
  return Buffer.concat(parts)
}

/** A GET request's HEADERS frame (END_HEADERS; END_STREAM unless `open`). */
export function requestHeaders(
  stream: number,
  path: string,
  authority = 'public.example.com',
  extra: readonly (readonly [string, string])[] = [],
  open = false,
): Buffer {
  const block = hpack([
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', path],
    [':authority', authority],
    ...extra,
  ])
  return frame(FRAME.HEADERS, FLAG.END_HEADERS | (open ? 0 : FLAG.END_STREAM), stream, block)
}

/** What an h2 peer sent back, by frame type. */
export interface H2Answer {
  /** Frame types seen, in order, with their stream ids. */
  readonly frames: readonly { readonly type: number; readonly stream: number; readonly flags: number }[]
  /** The peer closed the connection before the timeout. */
  readonly closed: boolean
  /** A GOAWAY arrived. */
  readonly goaway: boolean
}

/**
 * Opens a plaintext h2 connection to 127.0.0.1:port, sends the preface and an empty SETTINGS,
 * then `bytes` (written at once, or by `write` which may pace them), and collects frames until
 * the peer sends GOAWAY, closes, or `timeoutMs` passes. `pauseMs` leaves the socket unread for that long first
 * (a client that never reads: floods of frames whose answers queue up).
 */
export function h2c(
  port: number,
  write: Buffer | ((socket: Socket) => void),
  options: {
    readonly timeoutMs?: number
    readonly pauseMs?: number
    /** Stop collecting once a frame satisfies this. */
    readonly until?: (f: { readonly type: number; readonly stream: number }) => boolean
  } = {},
): Promise<H2Answer> {
  return new Promise((resolve) => {
    const frames: { type: number; stream: number; flags: number }[] = []
    let buffer = Buffer.alloc(0)
    let closed = false
    let settled = false
    const socket = netConnect(port, '127.0.0.1')
    socket.on('error', () => {})
    const finish = () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ frames, closed, goaway: frames.some((f) => f.type === FRAME.GOAWAY) })
    }
    const timer = setTimeout(finish, options.timeoutMs ?? 2000)
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk])
      while (buffer.length >= 9) {
        const length = buffer.readUIntBE(0, 3)
        if (buffer.length < 9 + length) break
        frames.push({ type: buffer[3]!, flags: buffer[4]!, stream: buffer.readUInt32BE(5) & 0x7fffffff })
        buffer = buffer.subarray(9 + length)
      }
      // After a GOAWAY the peer processes nothing new: the answer is complete.
      if (frames.some((f) => f.type === FRAME.GOAWAY || options.until?.(f) === true)) finish()
    })
    socket.once('close', () => {
      closed = true
      finish()
    })
    socket.once('connect', () => {
      if (options.pauseMs !== undefined) {
        socket.pause()
        setTimeout(() => socket.resume(), options.pauseMs)
      }
      socket.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0)]))
      if (typeof write === 'function') write(socket)
      else socket.write(write)
    })
  })
}
