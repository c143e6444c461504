import type { Socket } from 'node:net'
import { type ClientHelloResult, MAX_CLIENT_HELLO, readClientHello } from './client-hello.js'

/** How long a connection may take to send its first bytes (ClientHello or HTTP/2 preface). */
export const PEEK_TIMEOUT_MS = 10_000

/**
 * Reads from a fresh socket until `decide` has an answer, then pauses the socket and hands back
 * the bytes read (the caller unshifts or forwards them). Calls back with `undefined` when the
 * peer closes, errs or stalls first.
 */
export function peek<T>(
  socket: Socket,
  decide: (data: Buffer) => T | undefined,
  callback: (data: Buffer, verdict: T | undefined) => void,
  limit = MAX_CLIENT_HELLO,
): void {
  let data: Buffer = Buffer.alloc(0)
  let done = false
  const finish = (verdict: T | undefined) => {
    if (done) return
    done = true
    clearTimeout(timer)
    socket.removeListener('data', onData)
    socket.removeListener('end', onEnd)
    socket.removeListener('close', onEnd)
    socket.pause()
    callback(data, verdict)
  }
  const onData = (chunk: Buffer) => {
    data = data.length === 0 ? chunk : Buffer.concat([data, chunk])
    const verdict = decide(data)
    if (verdict !== undefined) finish(verdict)
    else if (data.length > limit) finish(undefined)
  }
  const onEnd = () => finish(undefined)
  const timer = setTimeout(onEnd, PEEK_TIMEOUT_MS)
  timer.unref()
  socket.on('data', onData)
  socket.once('end', onEnd)
  socket.once('close', onEnd)
}

/** A ClientHello verdict for {@link peek}: undefined while incomplete. */
export function clientHelloVerdict(
  data: Buffer,
): Exclude<ClientHelloResult, { kind: 'incomplete' }> | undefined {
  const result = readClientHello(data)
  return result.kind === 'incomplete' ? undefined : result
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n')

/** An HTTP/2 prior-knowledge verdict for {@link peek}: `h2`, `h1`, or undefined while unsure. */
export function prefaceVerdict(data: Buffer): 'h2' | 'h1' | undefined {
  const n = Math.min(data.length, PREFACE.length)
  if (data.subarray(0, n).compare(PREFACE.subarray(0, n)) !== 0) return 'h1'
  return data.length >= PREFACE.length ? 'h2' : undefined
}
