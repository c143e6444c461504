import { channel } from 'node:diagnostics_channel'
import { connect as netConnect, type Socket } from 'node:net'
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls'
import { CHANNELS, type UpstreamConnectedEvent } from '../events/channels.js'
import type { HeaderRecord } from '../types.js'
import type { CircuitBreaker } from './breakers.js'
import { type ResponseEvents, type ResponseHead, ResponseParseError, ResponseParser } from './h1-parser.js'

const connected = channel(CHANNELS.upstreamConnected)

/** Why an upstream exchange failed, in the terms of Envoy's response flags. */
export type UpstreamFailureKind =
  | 'connect'
  | 'timeout-connect'
  | 'reset'
  | 'protocol'
  | 'aborted'
  | 'overflow'

/** An upstream exchange that failed; `kind` says how. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError'
  constructor(
    readonly kind: UpstreamFailureKind,
    message: string,
    readonly code?: string,
  ) {
    super(message)
  }
}

/** A cancellation flag an exchange listens to (the forwarder's per-attempt trip). */
export interface CancelSignal {
  readonly aborted: boolean
  once(event: 'abort', listener: () => void): unknown
  removeListener(event: 'abort', listener: () => void): unknown
}

/** Where the body of a response goes, chunk by chunk. */
export interface ResponseSink {
  data(chunk: Buffer): void
  /**
   * The body is complete. `last`, when given, is its final chunk, not passed to `data`: a body
   * received whole before the sink started arrives this way, so that it can be written with the end.
   */
  end(trailers: HeaderRecord | undefined, last?: Buffer): void
  error(error: Error): void
}

/** A response body: started once with a sink; pausable for backpressure. */
export interface UpstreamBody {
  /** Delivers the body (chunks that arrived before are delivered first, synchronously). */
  start(sink: ResponseSink): void
  pause(): void
  resume(): void
  /** Stops the body: the connection is closed, the sink hears nothing more. */
  destroy(): void
  /** Discards the rest of the body (a retried response). */
  dump(): void
}

/** The head of an upstream response, and its body. */
export interface UpstreamResponse {
  readonly statusCode: number
  readonly headers: HeaderRecord
  readonly body: UpstreamBody
}

/** One request to an upstream. */
export interface UpstreamRequest {
  readonly method: string
  /** The request target (origin form), sent as is. */
  readonly path: string
  readonly headers: HeaderRecord
  /** No body, a whole body, or a stream of chunks (sent chunked unless `content-length` says). */
  readonly body: Buffer | NodeJS.ReadableStream | null
  readonly signal?: CancelSignal | undefined
}

/** Something upstream requests can be sent to: a pool of connections to one origin. */
export interface UpstreamClient {
  request(request: UpstreamRequest): Promise<UpstreamResponse>
  /** Finishes what is queued and in flight, then closes every connection. */
  close(): Promise<void>
  /** Closes every connection now; in-flight exchanges fail. */
  destroy(): Promise<void>
}

/** Settings of an {@link H1Pool}. */
export interface H1PoolOptions {
  readonly host: string
  readonly port: number
  /** TLS settings for an HTTPS origin; plain TCP when absent. */
  readonly tls?: ConnectionOptions | undefined
  /** At most this many connections; further requests wait in order. Unbounded when absent. */
  readonly connections?: number | undefined
  /**
   * The cluster's circuit breakers, shared with the pools of its other endpoints: requests beyond
   * them fail at once with an `overflow` {@link UpstreamError}.
   */
  readonly breaker?: CircuitBreaker | undefined
  /** A connection closes after this many requests. */
  readonly maxRequestsPerConnection?: number | undefined
  /** An idle connection closes after this long (an upstream's shorter `Keep-Alive: timeout` wins). */
  readonly keepAliveMs: number
  readonly connectTimeoutMs: number
}

/** A request refused by a circuit breaker (Envoy's pool overflow). */
function overflow(): UpstreamError {
  return new UpstreamError('overflow', 'overflow')
}

/** Request targets undici also refuses: anything outside visible ASCII and obs-text. */
const BAD_PATH = /[^\u0021-\u00ff]/
/** Header names must be tokens. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const EXPECTS_BODY = new Set(['POST', 'PUT', 'PATCH'])
/** An upstream's keep-alive hint is shortened by this much, so that we close before it does. */
const KEEP_ALIVE_MARGIN_MS = 1000

/**
 * Header names already checked to be tokens. A request carries mostly the same names each time,
 * so each is checked once instead of per request; a client can send any names, so it is bounded.
 */
const tokenNames = new Set<string>()
const MAX_TOKEN_NAMES = 512

function isTokenName(name: string): boolean {
  if (tokenNames.has(name)) return true
  if (!TOKEN.test(name)) return false
  if (tokenNames.size >= MAX_TOKEN_NAMES) tokenNames.clear()
  tokenNames.add(name)
  return true
}

/** Whether a field value carries NUL, CR or LF (it would end the field or the head). */
function badValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c <= 13 && (c === 0 || c === 10 || c === 13)) return true
  }
  return false
}

/** The request head as one latin1 string; throws a protocol error on a field that cannot be sent. */
function requestHead(request: UpstreamRequest, chunked: boolean): string {
  if (BAD_PATH.test(request.path)) throw new UpstreamError('protocol', 'invalid request target')
  let head = `${request.method} ${request.path} HTTP/1.1\r\n`
  const headers = request.headers
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined) continue
    if (!isTokenName(name)) throw new UpstreamError('protocol', `invalid header name ${JSON.stringify(name)}`)
    if (typeof value === 'string') {
      if (badValue(value)) throw new UpstreamError('protocol', `invalid value of header ${name}`)
      head += `${name}: ${value}\r\n`
    } else {
      for (const one of value) {
        if (badValue(one)) throw new UpstreamError('protocol', `invalid value of header ${name}`)
        head += `${name}: ${one}\r\n`
      }
    }
  }
  if (chunked) head += 'transfer-encoding: chunked\r\n'
  else if (
    request.body === null &&
    headers['content-length'] === undefined &&
    EXPECTS_BODY.has(request.method)
  ) {
    head += 'content-length: 0\r\n'
  }
  return `${head}\r\n`
}

/**
 * A pool of keep-alive HTTP/1.1 connections to one origin, speaking through
 * {@link ResponseParser}: no pipelining, idle connections reused most-recent first, waiting
 * requests served in order. Cheaper per request than a general-purpose client because it does
 * only what a proxy needs: one head string written at once, body slices passed through.
 */
export class H1Pool implements UpstreamClient {
  readonly #options: H1PoolOptions
  readonly #idle: Connection[] = []
  readonly #all = new Set<Connection>()
  readonly #waiting: Exchange[] = []
  #connecting = 0
  #closing = false
  #closed: (() => void) | undefined
  #session: Buffer | undefined

  constructor(options: H1PoolOptions) {
    this.#options = options
  }

  request(request: UpstreamRequest): Promise<UpstreamResponse> {
    return new Promise<UpstreamResponse>((resolve, reject) => {
      if (this.#closing) return reject(new UpstreamError('reset', 'pool closed'))
      if (request.signal?.aborted) return reject(new UpstreamError('aborted', 'aborted'))
      const breaker = this.#options.breaker
      if (this.#idle.length > 0) {
        if (breaker !== undefined && !breaker.admitRequest()) return reject(overflow())
        return this.#idle.pop()!.send(new Exchange(request, resolve, reject, undefined))
      }
      if (breaker !== undefined && !breaker.admitPending()) return reject(overflow())
      const exchange = new Exchange(request, resolve, reject, this)
      this.#waiting.push(exchange)
      if (breaker !== undefined) breaker.pending++
      this.#grow()
    })
  }

  /** Opens a connection when requests wait and the caps allow. */
  #grow(): void {
    const cap = this.#options.connections
    const breaker = this.#options.breaker
    while (
      this.#waiting.length > this.#connecting &&
      (cap === undefined || this.#all.size < cap) &&
      // The cluster's cap, except that a pool with no connection may always open one (as Envoy).
      (breaker === undefined || breaker.canConnect() || this.#all.size === 0)
    ) {
      this.#connecting++
      const connection = new Connection(this, this.#options)
      this.#all.add(connection)
    }
  }

  /** The first waiting exchange still wanted, taken off the queue. */
  #next(): Exchange | undefined {
    let next = this.#waiting.shift()
    while (next !== undefined) {
      this.#unqueued(next)
      if (!next.settled) return next
      next = this.#waiting.shift()
    }
    return undefined
  }

  #unqueued(exchange: Exchange): void {
    exchange.queue = undefined
    const breaker = this.#options.breaker
    if (breaker !== undefined && breaker.pending > 0) breaker.pending--
  }

  /** A waiting exchange gave up (cancelled, timed out): it leaves the queue now. */
  dequeue(exchange: Exchange): void {
    const i = this.#waiting.indexOf(exchange)
    if (i < 0) return
    this.#waiting.splice(i, 1)
    this.#unqueued(exchange)
    if (this.#closing && this.#all.size === 0 && this.#waiting.length === 0) this.#closed?.()
  }

  /** A connection finished connecting or finished an exchange and can take another. */
  available(connection: Connection, fresh: boolean): void {
    if (fresh) this.#connecting--
    const breaker = this.#options.breaker
    let next = this.#next()
    // Envoy checks the requests-in-flight breaker when a waiting request gets its connection.
    while (next !== undefined && breaker !== undefined && !breaker.admitRequest()) {
      next.fail(overflow())
      next = this.#next()
    }
    if (next !== undefined) return void connection.send(next)
    if (this.#closing) return void connection.close()
    connection.idleSince()
    this.#idle.push(connection)
  }

  /** A connection closed (or failed to connect). */
  gone(connection: Connection, connecting: boolean, error: UpstreamError | undefined): void {
    if (connecting) this.#connecting--
    this.#all.delete(connection)
    const i = this.#idle.indexOf(connection)
    if (i >= 0) this.#idle.splice(i, 1)
    if (connecting && error !== undefined) {
      // Requests that waited for this connection fail as it did; one per failed connect, so that
      // a refused port fails the waiting requests instead of retrying forever.
      this.#next()?.fail(error)
    }
    if (this.#waiting.length > 0) this.#grow()
    if (this.#closing && this.#all.size === 0 && this.#waiting.length === 0) this.#closed?.()
  }

  get session(): Buffer | undefined {
    return this.#session
  }

  set session(session: Buffer | undefined) {
    this.#session = session
  }

  close(): Promise<void> {
    this.#closing = true
    for (const connection of this.#idle.splice(0)) connection.close()
    if (this.#all.size === 0 && this.#waiting.length === 0) return Promise.resolve()
    return new Promise((resolve) => {
      this.#closed = resolve
    })
  }

  destroy(): Promise<void> {
    this.#closing = true
    for (const exchange of this.#waiting.splice(0)) {
      this.#unqueued(exchange)
      exchange.fail(new UpstreamError('reset', 'pool destroyed'))
    }
    for (const connection of [...this.#all]) connection.destroy(new UpstreamError('reset', 'pool destroyed'))
    return Promise.resolve()
  }
}

/** One request and its response, from queueing to the last body byte. */
class Exchange implements UpstreamBody, ResponseEvents {
  settled = false
  /** The response head was delivered (the promise resolved). */
  answered = false
  connection: Connection | undefined
  /** The pool whose queue holds this exchange while it waits for a connection. */
  queue: H1Pool | undefined
  #resolve: ((response: UpstreamResponse) => void) | undefined
  #reject: ((error: Error) => void) | undefined
  #sink: ResponseSink | undefined
  #queue: Buffer[] | undefined
  #ended = false
  #trailers: HeaderRecord | undefined
  #paused = false
  #finished = false
  readonly #onAbort: () => void

  constructor(
    readonly request: UpstreamRequest,
    resolve: (response: UpstreamResponse) => void,
    reject: (error: Error) => void,
    queue: H1Pool | undefined,
  ) {
    this.#resolve = resolve
    this.#reject = reject
    this.queue = queue
    this.#onAbort = () => this.abort()
    request.signal?.once('abort', this.#onAbort)
  }

  abort(): void {
    const error = new UpstreamError('aborted', 'aborted')
    if (this.connection !== undefined) this.connection.destroy(error)
    else {
      this.queue?.dequeue(this)
      this.fail(error)
    }
  }

  /** The exchange failed: the promise rejects, or the body's sink hears an error. */
  fail(error: Error): void {
    // A response received whole is delivered whatever happens to its connection afterwards.
    if (this.#finished || this.#ended) return
    this.#finish()
    if (!this.answered) {
      this.settled = true
      this.#reject?.(error)
    } else {
      this.#queue = undefined
      this.#sink?.error(error)
    }
    this.#resolve = undefined
    this.#reject = undefined
  }

  #finish(): void {
    this.#finished = true
    this.request.signal?.removeListener('abort', this.#onAbort)
  }

  onHead(head: ResponseHead): void {
    this.connection?.headSeen(head)
    this.answered = true
    this.settled = true
    this.#resolve?.({ statusCode: head.status, headers: head.headers, body: this })
    this.#resolve = undefined
    this.#reject = undefined
  }

  onData(chunk: Buffer): void {
    if (this.#finished) return
    if (this.#sink === undefined || this.#paused || this.#queue !== undefined) {
      // Slices of the socket's buffer are kept as they are: Node never reuses a delivered chunk.
      if (this.#queue === undefined) this.#queue = [chunk]
      else this.#queue.push(chunk)
      return
    }
    this.#sink.data(chunk)
  }

  onEnd(trailers: HeaderRecord | undefined): void {
    this.#ended = true
    this.#trailers = trailers
    this.#flush()
  }

  #flush(): void {
    const sink = this.#sink
    if (sink === undefined || this.#finished) return
    const queue = this.#queue
    let last: Buffer | undefined
    if (queue !== undefined) {
      const keep = this.#ended ? 1 : 0
      while (queue.length > keep && !this.#paused) sink.data(queue.shift()!)
      if (queue.length > keep || this.#paused) return
      last = queue.shift()
      this.#queue = undefined
    }
    if (this.#ended && !this.#paused) {
      this.#finish()
      sink.end(this.#trailers, last)
    }
  }

  start(sink: ResponseSink): void {
    this.#sink = sink
    this.#flush()
  }

  pause(): void {
    this.#paused = true
    this.connection?.pause()
  }

  resume(): void {
    this.#paused = false
    this.connection?.resume()
    this.#flush()
  }

  destroy(): void {
    if (this.#finished) return
    this.#finish()
    this.#sink = undefined
    this.connection?.destroy(new UpstreamError('aborted', 'response body destroyed'))
  }

  dump(): void {
    if (this.#ended) {
      this.#finish()
      return
    }
    this.destroy()
  }
}

/** One upstream connection: connecting → idle ⇄ busy → closed. */
/** The idle timer's callback: closes a connection still idle when its keep-alive time is up. */
function closeIfIdle(connection: Connection): void {
  if (connection.idle) connection.close()
}

class Connection {
  readonly #pool: H1Pool
  readonly #options: H1PoolOptions
  readonly #socket: Socket
  readonly #parser = new ResponseParser()
  #connecting = true
  #exchange: Exchange | undefined
  #requests = 0
  #reusable = true
  #closed = false
  #idleTimer: NodeJS.Timeout | undefined
  /** The delay `#idleTimer` was made with. */
  #idleTimerMs = 0
  #keepAliveMs: number
  #connectTimer: NodeJS.Timeout | undefined
  /** The request body is still being written. */
  #writing = false
  /** Detaches a streamed request body. */
  #unstream: (() => void) | undefined

  constructor(pool: H1Pool, options: H1PoolOptions) {
    this.#pool = pool
    this.#options = options
    this.#keepAliveMs = options.keepAliveMs
    if (options.breaker !== undefined) options.breaker.connections++
    const tls = options.tls
    const socket = tls
      ? tlsConnect({ ...tls, host: options.host, port: options.port, session: pool.session })
      : netConnect({ host: options.host, port: options.port })
    this.#socket = socket
    socket.setNoDelay(true)
    if (options.connectTimeoutMs > 0) {
      this.#connectTimer = setTimeout(
        () => this.destroy(new UpstreamError('timeout-connect', 'connection timeout', 'ETIMEDOUT')),
        options.connectTimeoutMs,
      )
    }
    socket.once(tls ? 'secureConnect' : 'connect', () => this.#onConnect())
    if (tls) socket.on('session', (session: Buffer) => (pool.session = session))
    socket.on('data', (data: Buffer) => this.#onData(data))
    socket.on('error', (error: NodeJS.ErrnoException) => this.#onError(error))
    socket.on('end', () => this.#onEnd())
    socket.on('close', () => this.#onClose())
  }

  #onConnect(): void {
    clearTimeout(this.#connectTimer)
    this.#connecting = false
    if (connected.hasSubscribers) {
      const event: UpstreamConnectedEvent = {
        socket: this.#socket,
        host: this.#options.host,
        port: this.#options.port,
      }
      connected.publish(event)
    }
    this.#pool.available(this, true)
  }

  /** Sends an exchange on this (idle or fresh) connection. */
  send(exchange: Exchange): void {
    if (exchange.settled) return void this.#pool.available(this, false)
    this.#exchange = exchange
    exchange.connection = this
    if (this.#options.breaker !== undefined) this.#options.breaker.requests++
    this.#socket.ref()
    this.#requests++
    const max = this.#options.maxRequestsPerConnection
    if (max !== undefined && this.#requests >= max) this.#reusable = false
    const request = exchange.request
    const body = request.body
    const streamed = body !== null && !Buffer.isBuffer(body)
    const chunked = streamed && request.headers['content-length'] === undefined
    let head: string
    try {
      head = requestHead(request, chunked)
    } catch (error) {
      this.#detach()
      exchange.connection = undefined
      exchange.fail(error as Error)
      return void this.#pool.available(this, false)
    }
    this.#parser.expect(request.method, exchange)
    const socket = this.#socket
    if (body === null) {
      socket.write(head, 'latin1')
    } else if (Buffer.isBuffer(body)) {
      socket.cork()
      socket.write(head, 'latin1')
      if (body.length > 0) socket.write(body)
      socket.uncork()
    } else {
      socket.write(head, 'latin1')
      this.#stream(body, chunked)
    }
  }

  /** Streams a request body with backpressure, chunk-encoded when its length is unknown. */
  #stream(body: NodeJS.ReadableStream, chunked: boolean): void {
    this.#writing = true
    const socket = this.#socket
    const onData = (chunk: Buffer) => {
      if (chunk.length === 0) return
      let ok: boolean
      if (chunked) {
        socket.cork()
        socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1')
        socket.write(chunk)
        ok = socket.write('\r\n', 'latin1')
        socket.uncork()
      } else ok = socket.write(chunk)
      if (!ok) body.pause()
    }
    const onDrain = () => body.resume()
    const cleanup = () => {
      this.#unstream = undefined
      body.removeListener('data', onData)
      body.removeListener('end', onEnd)
      body.removeListener('error', onFail)
      body.removeListener('aborted', onFail)
      socket.removeListener('drain', onDrain)
    }
    const onEnd = () => {
      cleanup()
      this.#writing = false
      if (chunked && !this.#closed) socket.write('0\r\n\r\n', 'latin1')
      if (!this.#parser.busy) this.#done()
    }
    const onFail = () => {
      cleanup()
      this.destroy(new UpstreamError('aborted', 'request body failed'))
    }
    this.#unstream = cleanup
    body.on('data', onData)
    body.once('end', onEnd)
    body.once('error', onFail)
    body.once('aborted', onFail)
    socket.on('drain', onDrain)
    body.resume()
  }

  pause(): void {
    this.#socket.pause()
  }

  resume(): void {
    this.#socket.resume()
  }

  #onData(data: Buffer): void {
    const exchange = this.#exchange
    if (exchange === undefined || !this.#parser.busy) {
      // Bytes nobody asked for: the connection is out of step and cannot be trusted.
      return void this.destroy(new UpstreamError('protocol', 'unsolicited response bytes'))
    }
    let used: number
    try {
      used = this.#parser.execute(data)
    } catch (error) {
      return void this.destroy(new UpstreamError('protocol', (error as Error).message))
    }
    if (this.#parser.busy || this.#exchange !== exchange) return
    if (used < data.length) this.#reusable = false
    // Answered before the request body was sent whole: the connection cannot carry another.
    if (this.#writing) return void this.destroy(undefined)
    this.#done()
  }

  /** Applies what a response head says about the connection. */
  headSeen(head: ResponseHead): void {
    if (!head.keepAlive) this.#reusable = false
    const hint = head.keepAliveTimeoutMs
    if (hint !== undefined) {
      if (hint <= KEEP_ALIVE_MARGIN_MS) this.#reusable = false
      else this.#keepAliveMs = Math.min(this.#options.keepAliveMs, hint - KEEP_ALIVE_MARGIN_MS)
    }
  }

  /** The response ended (and the request was written whole): reuse or close. */
  #done(): void {
    const exchange = this.#exchange
    this.#detach()
    if (exchange !== undefined) exchange.connection = undefined
    if (this.#closed) return
    this.#socket.resume()
    if (!this.#reusable) return void this.close()
    this.#pool.available(this, false)
  }

  /** The connection is done with its exchange: one request fewer in flight for the breaker. */
  #detach(): void {
    if (this.#exchange === undefined) return
    this.#exchange = undefined
    const breaker = this.#options.breaker
    if (breaker !== undefined && breaker.requests > 0) breaker.requests--
  }

  /**
   * Starts the idle clock (the pool keeps the connection for reuse). One timer per connection,
   * re-armed each time it goes idle: a new timer per exchange cost a timer object and a closure
   * per request. A busy connection ignores the timer firing.
   */
  idleSince(): void {
    const timer = this.#idleTimer
    if (timer !== undefined && this.#idleTimerMs === this.#keepAliveMs) timer.refresh()
    else {
      // First idle, or the upstream's Keep-Alive hint changed the delay.
      clearTimeout(timer)
      this.#idleTimerMs = this.#keepAliveMs
      this.#idleTimer = setTimeout(closeIfIdle, this.#keepAliveMs, this)
      this.#idleTimer.unref()
    }
    this.#socket.unref()
  }

  /** Whether no exchange is in progress on this connection. */
  get idle(): boolean {
    return this.#exchange === undefined
  }

  #onError(error: NodeJS.ErrnoException): void {
    const code = error.code
    const kind: UpstreamFailureKind = this.#connecting ? 'connect' : 'reset'
    this.destroy(
      new UpstreamError(
        kind,
        this.#connecting ? `connection failure (${code ?? 'error'})` : 'connection termination',
        code,
      ),
    )
  }

  #onEnd(): void {
    // The upstream closed its side: a close-delimited body ends here; anything else was cut short.
    const exchange = this.#exchange
    if (exchange !== undefined && this.#parser.busy) {
      if (this.#parser.untilClose) {
        this.#parser.finish()
        this.#reusable = false
        this.#writing = false
        this.#done()
        return
      }
      this.destroy(new UpstreamError('reset', 'connection termination'))
      return
    }
    this.destroy(undefined)
  }

  #onClose(): void {
    this.destroy(
      new UpstreamError(
        this.#connecting ? 'connect' : 'reset',
        this.#connecting ? 'connection failure' : 'connection termination',
      ),
    )
  }

  /** Closes gracefully (an idle connection, or after the current exchange). */
  close(): void {
    if (this.#exchange !== undefined) {
      this.#reusable = false
      return
    }
    this.destroy(undefined)
  }

  /** Closes now; an exchange in progress fails with `error`. */
  destroy(error: UpstreamError | undefined): void {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#idleTimer)
    clearTimeout(this.#connectTimer)
    const connecting = this.#connecting
    this.#connecting = false
    this.#unstream?.()
    this.#socket.destroy()
    const breaker = this.#options.breaker
    if (breaker !== undefined && breaker.connections > 0) breaker.connections--
    const exchange = this.#exchange
    this.#detach()
    if (exchange !== undefined) {
      exchange.connection = undefined
      exchange.fail(error ?? new UpstreamError('reset', 'connection termination'))
    }
    this.#pool.gone(
      this,
      connecting,
      connecting ? (error ?? new UpstreamError('connect', 'connection failure')) : undefined,
    )
  }
}

export { ResponseParseError }
