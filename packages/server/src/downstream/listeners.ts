import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import {
  createServer as createH2cServer,
  createSecureServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2'
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net'
import type { Duplex } from 'node:stream'
import { type TLSSocket, Server as TlsServer } from 'node:tls'
import type { CompiledConfig, CompiledServer } from '@portico/core'
import { PorticoServerError } from '../errors.js'
import type { Balancer } from '../proxy/balancer.js'
import type { Downstream, Upstreamable } from '../types.js'
import { DEFAULT_HTTP2_IDLE_TIMEOUT_MS, DEFAULT_HTTP2_PING_TIMEOUT_MS, Http2Sessions } from './h2-sessions.js'
import { type HandlerContext, handleRequest, handleStream } from './handler.js'
import { proxyStream, selectTlsRoute } from './l4.js'
import { type ConnectionLimits, DEFAULT_MAX_HEADERS_COUNT } from './limits.js'
import { clientHelloVerdict, peek, prefaceVerdict } from './peek.js'
import { acceptsPeer, type LoadedServerTls, loadServerTls } from './tls.js'
import { handleUpgrade } from './upgrade.js'

/** Node's HTTP/1.1 server default, applied to the HTTP/1 fallback of secure servers too. */
const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000

/** HTTP/2 limits from Envoy's edge guidance. */
const H2_SETTINGS = { maxConcurrentStreams: 100, enablePush: false, initialWindowSize: 65_535 }
const H2_CONNECTION_WINDOW = 1024 * 1024

/**
 * A terminating TLS endpoint for one server of a port. It outlives config versions while the
 * server keeps its name, kind (HTTP or TCP) and TLS mode, so its connections stay; new
 * certificates, keys, CAs, versions or ciphers are swapped into its secure context (as Envoy's SDS
 * does), which only new handshakes use.
 */
export interface Terminator {
  /** The material in use (replaced with the secure context). */
  tls: LoadedServerTls
  /** The compiled server it terminates for in the current config. */
  compiled: CompiledServer
  readonly server: Http2SecureServer | TlsServer
}

/** One config version with everything read from disk: swapped atomically by `update()`. */
export interface Runtime {
  readonly config: CompiledConfig
  readonly terminators: ReadonlyMap<CompiledServer, Terminator>
}

/** What {@link buildRuntime} made of a config next to the runtime it replaces. */
export interface RuntimeChange {
  readonly runtime: Runtime
  /** Terminators of the previous runtime that the new one does not keep (to release after the swap). */
  readonly retired: readonly Terminator[]
  /** Terminators created, or whose secure context was swapped. */
  readonly changedTerminators: number
}

/** What a port listener asks of its gateway. */
export interface ListenerEnv {
  runtime(): Runtime
  readonly handler: HandlerContext
  readonly balancer: Balancer
  /** The listener for a gateway port (terminators report their sessions and requests to it). */
  listenerFor(port: number): PortListener | undefined
  /** Connection and request limits. */
  readonly limits?: ConnectionLimits
}

function noop(): void {}

function watchSession(session: Http2Session, sessions: Http2Sessions): void {
  session.on('error', noop)
  sessions.add(session)
  try {
    session.setLocalWindowSize(H2_CONNECTION_WINDOW)
  } catch {
    // The session may already be closing.
  }
}

/**
 * Serves a server's HTTP/2 streams through `onStream` instead of Node's compatibility layer, which
 * installs itself as the 'stream' listener once a 'request' listener exists (the HTTP/1 fallback
 * of a secure server still needs that 'request' listener).
 */
function serveStreams(
  server: Http2SecureServer | Http2Server,
  onStream: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: string[]) => void,
): void {
  server.removeAllListeners('stream')
  server.on(
    'stream',
    (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, raw: string[]) =>
      onStream(stream, headers, raw),
  )
}

function terminatorKey(port: number, server: CompiledServer): string {
  return `${port}\u0000${server.name}\u0000${server.http !== undefined ? 'http' : 'tcp'}`
}

function materialOf(tls: LoadedServerTls): string {
  const o = tls.options
  return JSON.stringify([o.cert, o.key, o.ca, o.minVersion, o.maxVersion, o.ciphers, o.ecdhCurve])
}

/**
 * Builds the terminators of a config: reads every certificate and key first, so that a bad one
 * fails the whole config (PTC41xx) before anything is swapped or changed. Terminators of
 * `previous` are kept for the servers that keep their name, kind and TLS mode; their secure
 * context is swapped when their TLS material changed.
 */
export function buildRuntime(
  config: CompiledConfig,
  env: Omit<ListenerEnv, 'runtime'>,
  previous?: Runtime,
): RuntimeChange {
  const loaded: { port: number; server: CompiledServer; tls: LoadedServerTls }[] = []
  for (const listener of config.listeners.values()) {
    if (listener.protocol !== 'HTTPS' && listener.protocol !== 'TLS') continue
    for (const server of listener.servers) {
      if (server.tls === undefined || server.tls.mode === 'PASSTHROUGH') continue
      if (server.http === undefined && server.tcp === undefined) continue
      loaded.push({ port: listener.port, server, tls: loadServerTls(server) })
    }
  }
  const kept = new Map<string, Terminator>()
  for (const listener of previous?.config.listeners.values() ?? []) {
    for (const server of listener.servers) {
      const terminator = previous?.terminators.get(server)
      if (terminator !== undefined) kept.set(terminatorKey(listener.port, server), terminator)
    }
  }
  const terminators = new Map<CompiledServer, Terminator>()
  const reused = new Set<Terminator>()
  let changedTerminators = 0
  for (const { port, server, tls } of loaded) {
    const old = kept.get(terminatorKey(port, server))
    if (old !== undefined && !reused.has(old) && old.tls.mode === tls.mode) {
      if (materialOf(old.tls) !== materialOf(tls)) {
        old.server.setSecureContext(tls.options)
        changedTerminators++
      }
      old.tls = tls
      old.compiled = server
      reused.add(old)
      terminators.set(server, old)
      continue
    }
    terminators.set(server, createTerminator(port, server, tls, env))
    changedTerminators++
  }
  const retired = [...new Set(previous?.terminators.values() ?? [])].filter((t) => !reused.has(t))
  return { runtime: { config, terminators }, retired, changedTerminators }
}

function createTerminator(
  port: number,
  compiled: CompiledServer,
  tls: LoadedServerTls,
  env: Omit<ListenerEnv, 'runtime'>,
): Terminator {
  if (compiled.http !== undefined) {
    const h2 = createSecureServer({ ...tls.options, allowHTTP1: true, settings: H2_SETTINGS }, (req, res) =>
      env.listenerFor(port)?.onRequest(req, res, 'https'),
    )
    const terminator: Terminator = { tls, compiled, server: h2 }
    serveStreams(h2, (stream, headers, raw) => {
      const owner = env.listenerFor(port)
      if (owner === undefined) return void stream.destroy()
      owner.onStream(stream, headers, raw, 'https')
    })
    startHttp1Sweep(h2, env.limits)
    h2.on('session', (session: ServerHttp2Session) => {
      const owner = env.listenerFor(port)
      if (owner !== undefined) watchSession(session, owner.sessions)
      else session.destroy()
    })
    h2.on('sessionError', noop)
    h2.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const owner = env.listenerFor(port)
      if (owner === undefined) return void socket.destroy()
      handleUpgrade(env.handler, { port, scheme: 'https' }, req, socket, head)
    })
    h2.on('tlsClientError', noop)
    h2.prependListener('secureConnection', (socket: TLSSocket) => {
      socket.on('error', noop)
      if (!acceptsPeer(socket, terminator.tls)) socket.destroy()
    })
    return terminator
  }
  const terminated: TlsServer = new TlsServer(tls.options, (socket) => {
    socket.on('error', noop)
    if (!acceptsPeer(socket, terminator.tls)) return socket.destroy()
    const owner = env.listenerFor(port)
    const entry = terminator.compiled.tcp
    if (owner === undefined || entry === undefined) return socket.destroy()
    proxyStream(owner.runtimeConfig(), env.balancer, entry, socket as Socket, undefined)
  })
  const terminator: Terminator = { tls, compiled, server: terminated }
  terminated.on('tlsClientError', noop)
  return terminator
}

/** The HTTP/1 fallback settings Node reads from an `allowHTTP1` secure server (not in its types). */
interface Http1Fallback {
  headersTimeout: number
  requestTimeout: number
  keepAliveTimeout: number
  connectionsCheckingInterval: number
}

/**
 * HTTP/1.1 over TLS is served by the secure server's HTTP/1 fallback, which enforces
 * headersTimeout and requestTimeout only once the sweep that `listen()` starts is running; these
 * servers never listen (connections are handed to them), so start it here. The fallback has no
 * keep-alive timeout of its own: it gets the one of HTTP/1.1 in clear.
 */
function startHttp1Sweep(server: Http2SecureServer, limits: ConnectionLimits | undefined): void {
  const fallback = server as unknown as Http1Fallback
  if (limits?.headersTimeoutMs !== undefined) fallback.headersTimeout = limits.headersTimeoutMs
  if (limits?.requestTimeoutMs !== undefined) fallback.requestTimeout = limits.requestTimeoutMs
  // Unset on a secure server, which would keep idle keep-alive connections for ever.
  fallback.keepAliveTimeout = limits?.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS
  fallback.connectionsCheckingInterval = Math.min(limits?.headersTimeoutMs ?? 30_000, 5_000)
  server.emit('listening')
}

/**
 * Stops the timers of terminators that are no longer used (they never listened, so closing them
 * only ends their HTTP/1 sweep and idle keep-alive connections; in-flight requests finish).
 */
export function releaseTerminators(terminators: Iterable<Terminator>): void {
  for (const { server } of terminators) {
    try {
      server.close()
    } catch {
      // Nothing to release.
    }
  }
}

interface H1State {
  active: number
}

const H1_STATE = Symbol('portico.h1State')

/** An HTTP/1.1 response carrying the state of its connection until it closes. */
interface TrackedResponse {
  [H1_STATE]?: H1State | undefined
}

/**
 * A response's `close` listener (node:http calls it with the response as `this`): its connection
 * has one request fewer in flight. One function serves every response, where a closure and
 * `once`'s wrapper would be allocated per request.
 */
function releaseH1(this: TrackedResponse): void {
  const state = this[H1_STATE]
  if (state === undefined) return
  this[H1_STATE] = undefined
  state.active--
}

/**
 * Listens for one gateway port. The socket is accepted here and handed, per connection and by
 * the config current at that moment, to HTTP/1.1, h2c, a TLS terminator chosen by the SNI of the
 * peeked ClientHello (one per server, so versions, ciphers and client-certificate rules are the
 * server's own), TLS passthrough or TCP proxying.
 */
export class PortListener {
  readonly gatewayPort: number
  readonly bind: string
  readonly requestedPort: number
  readonly sessions: Http2Sessions
  readonly #env: ListenerEnv
  readonly #front: NetServer
  readonly #h1: HttpServer
  readonly #h2c: Http2Server
  readonly #sockets = new Set<Socket>()
  readonly #h1Sockets = new Map<object, H1State>()
  readonly #peeking = new Set<Socket>()
  #draining = false
  #address: AddressInfo | undefined

  constructor(gatewayPort: number, bind: string, listenPort: number, env: ListenerEnv) {
    this.gatewayPort = gatewayPort
    this.bind = bind
    this.requestedPort = listenPort
    this.#env = env
    const limits = env.limits ?? {}
    this.sessions = new Http2Sessions({
      idleTimeoutMs: limits.http2IdleTimeoutMs ?? DEFAULT_HTTP2_IDLE_TIMEOUT_MS,
      pingTimeoutMs: limits.http2PingTimeoutMs ?? DEFAULT_HTTP2_PING_TIMEOUT_MS,
    })
    this.#h1 = createHttpServer(
      {
        requireHostHeader: true,
        ...(limits.headersTimeoutMs === undefined ? {} : { headersTimeout: limits.headersTimeoutMs }),
        ...(limits.requestTimeoutMs === undefined ? {} : { requestTimeout: limits.requestTimeoutMs }),
        ...(limits.keepAliveTimeoutMs === undefined ? {} : { keepAliveTimeout: limits.keepAliveTimeoutMs }),
        ...(limits.maxHeaderSize === undefined ? {} : { maxHeaderSize: limits.maxHeaderSize }),
        connectionsCheckingInterval: Math.min(limits.headersTimeoutMs ?? 30_000, 5_000),
      },
      (req, res) => this.onRequest(req, res, 'http'),
    )
    // This server never listens (connections are handed to it), so Node's sweep that enforces
    // headersTimeout and requestTimeout (slowloris, slow bodies) must be started as listen() would.
    this.#h1.emit('listening')
    // Node drops header lines beyond its count silently; keep one more than the limit so it shows.
    this.#h1.maxHeadersCount = (limits.maxHeadersCount ?? DEFAULT_MAX_HEADERS_COUNT) + 1
    this.#h1.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      handleUpgrade(this.#env.handler, { port: this.gatewayPort, scheme: 'http' }, req, socket, head),
    )
    this.#h2c = createH2cServer({ settings: H2_SETTINGS })
    serveStreams(this.#h2c, (stream, headers, raw) => this.onStream(stream, headers, raw, 'http'))
    this.#h2c.on('session', (session: ServerHttp2Session) => watchSession(session, this.sessions))
    this.#h2c.on('sessionError', noop)
    this.#front = createNetServer({ pauseOnConnect: false }, (socket) => this.#onConnection(socket))
    this.#front.on('error', noop)
    if (limits.maxConnections !== undefined) this.#front.maxConnections = limits.maxConnections
  }

  /** The config of the current runtime. */
  runtimeConfig(): CompiledConfig {
    return this.#env.runtime().config
  }

  /** Where the listener is bound (after `listen`). */
  get address(): AddressInfo | undefined {
    return this.#address
  }

  /** Starts listening; rejects with PTC4104 when the address cannot be bound. */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        reject(
          new PorticoServerError(
            'PTC4104',
            `gateway port ${this.gatewayPort}: cannot listen on ${this.bind}:${this.requestedPort} (${error.code ?? error.message})`,
            { cause: error },
          ),
        )
      }
      this.#front.once('error', onError)
      this.#front.listen(this.requestedPort, this.bind, () => {
        this.#front.removeListener('error', onError)
        this.#address = this.#front.address() as AddressInfo
        resolve(this.#address)
      })
    })
  }

  /** Handles one HTTP request of this port (HTTP/1.1, h2c, or terminated TLS). */
  onRequest(req: Upstreamable & { socket: unknown }, res: Downstream, scheme: 'http' | 'https'): void {
    if (req.httpVersionMajor !== 2) {
      const socket = req.socket as Socket
      let state = this.#h1Sockets.get(socket)
      if (state === undefined) {
        const fresh: H1State = { active: 0 }
        state = fresh
        this.#h1Sockets.set(socket, fresh)
        socket.once('close', () => this.#h1Sockets.delete(socket))
      }
      state.active++
      if (this.#draining) (res as unknown as ServerResponse).shouldKeepAlive = false
      ;(res as unknown as TrackedResponse)[H1_STATE] = state
      res.on('close', releaseH1)
    }
    handleRequest(this.#env.handler, { port: this.gatewayPort, scheme }, req, res)
  }

  /** Handles one HTTP/2 stream of this port (h2c or terminated TLS). */
  onStream(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    rawHeaders: string[],
    scheme: 'http' | 'https',
  ): void {
    handleStream(
      this.#env.handler,
      { port: this.gatewayPort, scheme },
      stream,
      headers,
      rawHeaders,
      this.sessions.connection(stream.session),
    )
  }

  #onConnection(socket: Socket): void {
    socket.on('error', noop)
    this.#sockets.add(socket)
    socket.once('close', () => this.#sockets.delete(socket))
    if (this.#draining) return void socket.destroy()
    const runtime = this.#env.runtime()
    const listener = runtime.config.listeners.get(this.gatewayPort)
    if (listener === undefined) return void socket.destroy()
    switch (listener.protocol) {
      case 'HTTP':
        if (!listener.h2c) return void this.#h1.emit('connection', socket)
        this.#peeking.add(socket)
        return void peek(socket, prefaceVerdict, (data, verdict) => {
          this.#peeking.delete(socket)
          if (verdict === undefined) return void socket.destroy()
          socket.unshift(data)
          if (verdict === 'h2') {
            // nghttp2 reads the unshifted preface itself; resuming would divert it to JS.
            this.#h2c.emit('connection', socket)
          } else {
            this.#h1.emit('connection', socket)
            socket.resume()
          }
        })
      case 'TCP': {
        const entry = listener.servers[0]?.tcp
        if (entry === undefined) return void socket.destroy()
        return void proxyStream(runtime.config, this.#env.balancer, entry, socket, undefined)
      }
      default:
        this.#peeking.add(socket)
        return void peek(socket, clientHelloVerdict, (data, verdict) => {
          this.#peeking.delete(socket)
          if (verdict === undefined || verdict.kind !== 'complete') return void socket.destroy()
          // Read the config again: a swap may have happened while the ClientHello arrived.
          const now = this.#env.runtime()
          const current = now.config.listeners.get(this.gatewayPort)
          const server = current?.selectServer(verdict.sni)
          if (server === undefined) return void socket.destroy()
          if (server.tls === undefined || server.tls.mode === 'PASSTHROUGH') {
            const entry =
              server.passthrough === undefined ? undefined : selectTlsRoute(server.passthrough, verdict.sni)
            if (entry === undefined) return void socket.destroy()
            return void proxyStream(now.config, this.#env.balancer, entry, socket, data)
          }
          const terminator = now.terminators.get(server)
          if (terminator === undefined) return void socket.destroy()
          socket.unshift(data)
          terminator.server.emit('connection', socket)
        })
    }
  }

  /**
   * Stops accepting, sends GOAWAY to HTTP/2 sessions, closes idle HTTP/1.1 connections and asks
   * busy ones to close after their response; after `timeoutMs` whatever is left is destroyed.
   */
  drain(timeoutMs: number): Promise<void> {
    this.#draining = true
    this.#h1.close()
    const closed = new Promise<void>((resolve) => this.#front.close(() => resolve()))
    this.sessions.closeAll()
    for (const [socket, state] of this.#h1Sockets) if (state.active === 0) (socket as Socket).destroy()
    // Connections still sending their first bytes go now.
    for (const socket of this.#peeking) socket.destroy()
    const settled = new Promise<void>((resolve) => {
      const check = () => {
        if (this.#sockets.size === 0) {
          clearInterval(poll)
          clearTimeout(deadline)
          resolve()
        }
      }
      const poll = setInterval(check, 25)
      const deadline = setTimeout(() => {
        clearInterval(poll)
        this.destroy()
        resolve()
      }, timeoutMs)
      check()
    })
    return Promise.all([closed, settled]).then(() => undefined)
  }

  /** Closes every connection now. */
  destroy(): void {
    this.#draining = true
    this.#front.close()
    this.#h1.close()
    this.sessions.destroyAll()
    for (const socket of this.#sockets) socket.destroy()
  }
}
