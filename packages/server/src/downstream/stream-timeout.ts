import { constants, type ServerHttp2Stream } from 'node:http2'
import type { Readable } from 'node:stream'
import { localReply } from '../proxy/local-reply.js'
import type { Downstream } from '../types.js'

/** Node's HTTP/1.1 `requestTimeout` default, applied to HTTP/2 streams too. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 300_000

/**
 * Bounds the time an HTTP/2 stream may take to send its whole request (the `requestTimeoutMs`
 * that Node enforces for HTTP/1.1): a stream whose body is still arriving when it runs out gets
 * 408 if no response has started, and is reset either way, which cancels its upstream request.
 * Without this a client dribbling a body one byte at a time would hold a stream and an upstream
 * request for ever (an open stream keeps the connection from being idle). `0` disables it.
 */
export function limitRequestTime(
  stream: ServerHttp2Stream,
  req: Readable,
  res: Downstream,
  timeoutMs: number,
  serverHeader: string | false,
): void {
  if (timeoutMs <= 0) return
  const timer = setTimeout(() => {
    if (stream.destroyed || stream.closed) return
    // The request arrived whole (END_STREAM received): nothing to bound.
    if (stream.state.remoteClose === 1) return
    if (!res.headersSent) localReply(res, 408, serverHeader)
    stream.close(constants.NGHTTP2_CANCEL)
    // The body being streamed upstream fails, which cancels the upstream request (a local reset
    // is not seen as the client aborting).
    if (req !== stream) req.destroy(new Error('request timeout'))
  }, timeoutMs)
  timer.unref()
  stream.once('close', () => clearTimeout(timer))
}
