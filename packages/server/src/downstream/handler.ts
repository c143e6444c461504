import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import { Http2ServerRequest, type ServerHttp2Stream } from 'node:http2'
import type { CompiledConfig, CompiledPolicies, KeySource, RequestFacts, RouteDecision } from '@portico/core'
import { connectionAddresses, plainAddress } from '../events/address.js'
import { observeDecision, observeRequest } from '../events/request.js'
import { applyPolicies } from '../policy/step.js'
import { type ForwardContext, forward } from '../proxy/forward.js'
import { trustedClientAddress } from '../proxy/headers.js'
import { LOCAL_BODY, localReply } from '../proxy/local-reply.js'
import type { Downstream, RouteFunction, Upstreamable } from '../types.js'
import type { SessionConnection } from './h2-sessions.js'
import { type ConnectionLimits, DEFAULT_MAX_HEADERS_COUNT } from './limits.js'
import type { OverloadGuard } from './overload.js'
import { DEFAULT_REQUEST_TIMEOUT_MS, limitRequestTime } from './stream-timeout.js'

/** What the request handler reads on every request. */
export interface HandlerContext extends ForwardContext {
  /** The config being served; read once when a request arrives. */
  current(): CompiledConfig
  readonly route: RouteFunction
  /** Serve HTTP/1.0 requests instead of answering 426 (Envoy's `accept_http_10`). */
  readonly acceptHttp10: boolean
  /** Header-count and URI-length limits (431 / 414). */
  readonly limits?: ConnectionLimits
  /** Istio's `numTrustedProxies`: x-forwarded-for hops trusted for the client address (default 0). */
  readonly numTrustedProxies?: number
  /** Sheds new requests while the process is overloaded (gateway option `overload`). */
  readonly overload?: OverloadGuard
  /** Remote JWKS for RequestAuthentication `jwksUri` rules (none: such tokens fail). */
  readonly jwks?: KeySource
}

/** Header fields of a request, pseudo headers (HTTP/2) not counted. */
function fieldCount(raw: readonly string[]): number {
  let n = 0
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.charCodeAt(0) !== 58 /* : */) n++
  return n
}

/** The listener a request arrived on. */
export interface ListenerInfo {
  /** Gateway port (80, 443), not the listen port. */
  readonly port: number
  readonly scheme: 'http' | 'https'
}

interface SocketLike {
  readonly remoteAddress?: string | undefined
  readonly servername?: string | false | null
}

/**
 * Builds the facts of a request (authority from `:authority`, the absolute-form target, or
 * `Host`), asks the router, and executes its decision. Never throws: a bad request gets a 4xx.
 */
export function handleRequest(
  ctx: HandlerContext,
  info: ListenerInfo,
  req: Upstreamable & { readonly socket: unknown },
  res: Downstream,
): void {
  // node:http's request emits 'error' only to listeners it has: only an HTTP/2 request needs one.
  if (req.httpVersionMajor === 2) req.on('error', noop)
  res.on('error', noop)
  observeRequest(req, res, info.port, info.scheme)
  const server = ctx.serverHeader
  if (ctx.overload !== undefined && !ctx.overload.admit(req, res, server)) return
  try {
    const h2 = req.httpVersionMajor === 2
    if (!h2 && req.httpVersionMajor === 1 && req.httpVersion === '1.0' && !ctx.acceptHttp10) {
      return void localReply(res, 426, server, LOCAL_BODY.upgradeRequired)
    }
    if (fieldCount(req.rawHeaders) > (ctx.limits?.maxHeadersCount ?? DEFAULT_MAX_HEADERS_COUNT)) {
      return void localReply(res, 431, server)
    }
    const maxUri = ctx.limits?.maxUriLength
    if (maxUri !== undefined && (req.url?.length ?? 0) > maxUri) return void localReply(res, 414, server)
    if (!h2 && hostCount(req.rawHeaders) > 1) return void localReply(res, 400, server)
    const facts = requestFacts(info, req)
    if (facts === undefined) return void localReply(res, 400, server)
    const config = ctx.current()
    if (config.policies !== undefined)
      return void checkPolicies(ctx, config, config.policies, info, req, res, facts, h2)
    dispatch(ctx, config, info, req, res, facts, h2)
  } catch (error) {
    ctx.logger.error({ err: error }, 'request failed')
    localReply(res, 500, server)
  }
}

/** Routes a request and executes the decision. */
function dispatch(
  ctx: HandlerContext,
  config: CompiledConfig,
  info: ListenerInfo,
  req: Upstreamable,
  res: Downstream,
  facts: RequestFacts,
  h2: boolean,
): void {
  const peer = facts.sourceAddress
  const decision = ctx.route(config, facts)
  observeDecision(res, decision)
  const client = trustedClientAddress(req.headers['x-forwarded-for'], peer, ctx.numTrustedProxies ?? 0)
  execute(ctx, config, decision, info, req, res, peer, client, h2)
}

/** Authentication and authorization (Envoy's jwt_authn and rbac filters), then {@link dispatch}. */
function checkPolicies(
  ctx: HandlerContext,
  config: CompiledConfig,
  policies: CompiledPolicies,
  info: ListenerInfo,
  req: Upstreamable & { readonly socket: unknown },
  res: Downstream,
  facts: RequestFacts,
  h2: boolean,
): void {
  const socket = req.socket as { readonly localPort?: number; readonly localAddress?: string } | undefined
  const connection = {
    client: trustedClientAddress(
      req.headers['x-forwarded-for'],
      facts.sourceAddress,
      ctx.numTrustedProxies ?? 0,
    ),
    localPort: socket?.localPort,
    localAddress: plainAddress(socket?.localAddress),
  }
  const policyContext = { serverHeader: ctx.serverHeader, logger: ctx.logger, jwks: ctx.jwks ?? OFFLINE_KEYS }
  applyPolicies(policyContext, policies, config.pathPolicy, facts, req.headers, connection, res, (checked) =>
    dispatch(ctx, config, info, req, res, checked, h2),
  )
}

const OFFLINE_KEYS: KeySource = { remote: () => undefined }

/**
 * The facts of a request: authority from `:authority` (HTTP/2), the absolute-form target, or
 * `Host`; `undefined` when there is no authority (400).
 */
export function requestFacts(
  info: ListenerInfo,
  req: Pick<Upstreamable, 'headers' | 'url' | 'method' | 'httpVersionMajor'> & { readonly socket: unknown },
): RequestFacts | undefined {
  let authority: string | undefined
  let path = req.url ?? '/'
  if (req.httpVersionMajor === 2) {
    authority = (req.headers[':authority'] as string | undefined) ?? req.headers.host
  } else {
    authority = req.headers.host
    if (path.charCodeAt(0) !== 47 /* / */ && /^https?:\/\//i.test(path)) {
      const rest = path.slice(path.indexOf('//') + 2)
      const slash = rest.search(/[/?]/)
      authority = slash < 0 ? rest : rest.slice(0, slash)
      path = slash < 0 ? '/' : rest[slash] === '?' ? `/${rest.slice(slash)}` : rest.slice(slash)
    }
  }
  if (authority === undefined || authority === '') return undefined
  const socket = req.socket as SocketLike
  let peer: string | undefined
  let sni: string | undefined
  if (req.httpVersionMajor === 1) {
    const addresses = connectionAddresses(socket)
    peer = addresses.peer
    sni = info.scheme === 'https' ? addresses.servername : undefined
  } else {
    peer = plainAddress(socket.remoteAddress)
    sni = info.scheme === 'https' && typeof socket.servername === 'string' ? socket.servername : undefined
  }
  // One object shape for every request (absent fields undefined), so the router's reads stay monomorphic.
  return {
    port: info.port,
    scheme: info.scheme,
    method: req.method ?? 'GET',
    authority,
    path,
    headers: req.headers as RequestFacts['headers'],
    sni,
    sourceAddress: peer,
  }
}

/** Counts `Host` lines (RFC 9112 3.2: more than one is a 400). */
export function hostCount(raw: readonly string[]): number {
  let n = 0
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') n++
  return n
}

function execute(
  ctx: HandlerContext,
  config: CompiledConfig,
  decision: RouteDecision,
  info: ListenerInfo,
  req: Upstreamable,
  res: Downstream,
  peer: string | undefined,
  client: string | undefined,
  h2: boolean,
): void {
  const server = ctx.serverHeader
  switch (decision.kind) {
    case 'route': {
      const hasBody = h2
        ? !endsAfterHeaders(req) && req.headers['content-length'] !== '0'
        : (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') ||
          req.headers['transfer-encoding'] !== undefined
      forward(ctx, config, decision, {
        req,
        res,
        scheme: info.scheme,
        peer,
        client,
        hasBody,
        protocol: h2 ? 'HTTP/2' : `HTTP/${req.httpVersion}`,
      }).catch((error: unknown) => {
        ctx.logger.error({ err: error }, 'forward failed')
        if (res.headersSent) res.destroy()
        else localReply(res, 500, server)
      })
      return
    }
    case 'redirect':
      return void localReply(res, decision.status, server, undefined, [decision.headers.response], {
        location: decision.location,
      })
    case 'directResponse':
      return void localReply(res, decision.status, server, decision.body, [decision.headers.response])
    case 'notFound':
      return void localReply(res, 404, server)
    case 'reject':
      return void localReply(res, decision.status, server)
  }
}

function noop(): void {}

/** Whether an HTTP/2 request came without a body (END_STREAM on its HEADERS). */
function endsAfterHeaders(req: Upstreamable): boolean {
  const own = req as unknown as { endAfterHeaders?: boolean; stream?: { endAfterHeaders?: boolean } }
  return own.endAfterHeaders ?? own.stream?.endAfterHeaders ?? false
}

/** An HTTP/2 stream seen as the request it carries (what Node's compatibility request reads). */
interface StreamRequest {
  headers: IncomingHttpHeaders
  rawHeaders: string[]
  method: string | undefined
  url: string | undefined
  httpVersion: string
  httpVersionMajor: number
  complete: boolean
  socket: unknown
}

/**
 * Handles one HTTP/2 stream through its own API rather than Node's compatibility layer (which
 * builds a second Readable per request, validates every response header twice and always sends
 * trailers): a request without a body is the stream itself, with the request's fields set on it
 * (a request with a body keeps Node's request object), and an {@link H2Response} writes the
 * answer. CONNECT gets 405 and an `expect` other than
 * `100-continue` gets 417, as Node's compatibility layer answers them. `connection`: the
 * addresses of the stream's connection read when its session started, which a request without a
 * body reads as its `socket` (otherwise the session's socket Proxy).
 */
export function handleStream(
  ctx: HandlerContext,
  info: ListenerInfo,
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  rawHeaders: string[],
  connection?: SessionConnection,
): void {
  const method = headers[':method'] as string | undefined
  let req: Upstreamable & { readonly socket: unknown }
  if (stream.endAfterHeaders) {
    const own = stream as unknown as StreamRequest
    own.headers = headers
    own.rawHeaders = rawHeaders
    own.method = method
    own.url = headers[':path'] as string | undefined
    own.httpVersion = '2.0'
    own.httpVersionMajor = 2
    // END_STREAM came with the HEADERS: the whole request has arrived.
    own.complete = true
    own.socket = connection ?? stream.session?.socket
    req = own as unknown as Upstreamable & { readonly socket: unknown }
  } else {
    // A body is streamed to the upstream client, which may end or destroy what it reads: give it
    // a request object of its own, never the stream the response goes out on.
    req = new Http2ServerRequest(stream, headers, {}, rawHeaders) as unknown as Upstreamable & {
      readonly socket: unknown
    }
  }
  const res = new H2Response(stream, ctx.serverHeader)
  if (!stream.endAfterHeaders) {
    limitRequestTime(
      stream,
      req,
      res,
      ctx.limits?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      ctx.serverHeader,
    )
  }
  if (method === 'CONNECT') {
    stream.on('error', noop)
    return void localReply(res, 405, false)
  }
  const expect = headers.expect
  if (expect !== undefined) {
    if (expect !== '100-continue') {
      stream.on('error', noop)
      return void localReply(res, 417, false)
    }
    if (!stream.destroyed && !stream.closed) stream.additionalHeaders({ ':status': 100 })
  }
  handleRequest(ctx, info, req, res)
}

type Listener = (...args: unknown[]) => void

/**
 * A response written straight on an HTTP/2 stream. The head is sent when the body starts, when
 * the response ends, or at the end of the current tick, whichever comes first, so that a response
 * ending at once goes out as HEADERS + DATA(END_STREAM) and asks the stream for trailers only when
 * there are some (or when the body is streamed, so that trailers can still follow).
 */
export class H2Response implements Downstream {
  statusCode = 200
  readonly #stream: ServerHttp2Stream
  readonly #serverHeader: string | false
  #head: OutgoingHttpHeaders | undefined
  #committed = false
  #responded = false
  #ending = false
  #rejected = false
  #trailers: OutgoingHttpHeaders | undefined

  constructor(stream: ServerHttp2Stream, serverHeader: string | false) {
    this.#stream = stream
    this.#serverHeader = serverHeader
  }

  get headersSent(): boolean {
    return this.#committed || this.#stream.headersSent
  }

  get writableEnded(): boolean {
    return this.#ending
  }

  get writableFinished(): boolean {
    return this.#stream.writableFinished
  }

  get destroyed(): boolean {
    return this.#stream.destroyed
  }

  writeHead(status: number, headers?: OutgoingHttpHeaders): this {
    const stream = this.#stream
    if (stream.destroyed || stream.closed) return this
    if (this.headersSent) throw new Error('response headers already sent')
    this.statusCode = status
    this.#head = headers ?? {}
    this.#committed = true
    process.nextTick(flushHead, this)
    return this
  }

  addTrailers(headers: OutgoingHttpHeaders): void {
    this.#trailers = this.#trailers === undefined ? { ...headers } : Object.assign(this.#trailers, headers)
  }

  write(chunk: Uint8Array): boolean {
    if (this.#ending || this.#stream.destroyed) return false
    if (!this.#committed) this.writeHead(this.statusCode)
    this.flush(false)
    const stream = this.#stream
    if (this.#rejected || stream.writableEnded) return true
    return stream.write(chunk)
  }

  end(chunk?: Uint8Array): this {
    if (this.#ending) return this
    const stream = this.#stream
    if (!this.#committed) this.writeHead(this.statusCode)
    this.#ending = true
    const empty = chunk === undefined || chunk.byteLength === 0
    this.flush(true, empty)
    if (this.#rejected || stream.destroyed || stream.writableEnded) return this
    if (empty) stream.end()
    else stream.end(chunk)
    return this
  }

  destroy(error?: Error): this {
    this.#stream.destroy(error)
    return this
  }

  /**
   * Sends the head if it is not out yet. `final`: the response ends now, so trailers are asked
   * for only when some were added; `empty`: and it has no body (END_STREAM on HEADERS).
   */
  flush(final: boolean, empty = false): void {
    if (this.#responded || !this.#committed) return
    this.#responded = true
    const stream = this.#stream
    if (stream.destroyed || stream.closed) return
    const head = this.#head ?? {}
    this.#head = undefined
    head[':status'] = this.statusCode
    const trailers = !final || this.#trailers !== undefined
    try {
      stream.respond(head, { endStream: final && empty && !trailers, waitForTrailers: trailers })
    } catch {
      // A head HTTP/2 cannot carry (a connection-specific field, a repeated single-value field):
      // the client gets a 502 instead, as for any upstream protocol error.
      this.#rejected = true
      this.#reject()
      return
    }
    if (trailers) stream.once('wantTrailers', () => this.#sendTrailers())
  }

  #sendTrailers(): void {
    const stream = this.#stream
    try {
      stream.sendTrailers(this.#trailers ?? {})
    } catch {
      // Trailers a downstream cannot carry are dropped.
      try {
        stream.sendTrailers({})
      } catch {
        stream.destroy()
      }
    }
  }

  #reject(): void {
    const stream = this.#stream
    const body = Buffer.from(`${LOCAL_BODY.connectError}reset reason: protocol error`)
    const head: OutgoingHttpHeaders = { ':status': 502, 'content-type': 'text/plain' }
    if (this.#serverHeader !== false) head.server = this.#serverHeader
    head['content-length'] = String(body.byteLength)
    this.statusCode = 502
    try {
      stream.respond(head)
      stream.end(body)
    } catch {
      stream.destroy()
    }
  }

  on(event: 'close' | 'drain' | 'finish' | 'error', listener: Listener): this {
    this.#stream.on(event, listener)
    return this
  }

  once(event: 'close' | 'drain' | 'finish' | 'error', listener: Listener): this {
    this.#stream.once(event, listener)
    return this
  }

  removeListener(event: 'close' | 'drain' | 'finish' | 'error', listener: Listener): this {
    this.#stream.removeListener(event, listener)
    return this
  }
}

function flushHead(res: H2Response): void {
  res.flush(false)
}
