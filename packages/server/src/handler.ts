import type { CompiledConfig, RequestFacts, RouteDecision } from '@portico/core'
import { observeDecision, observeRequest } from './events.js'
import { type ForwardContext, forward } from './forward.js'
import { plainAddress, trustedClientAddress } from './headers.js'
import type { ConnectionLimits } from './listeners.js'
import { LOCAL_BODY, localReply } from './local-reply.js'
import type { Downstream, RouteFunction, Upstreamable } from './types.js'

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
}

/** Envoy's `max_headers_count` default: more request header fields get 431. */
export const DEFAULT_MAX_HEADERS_COUNT = 100

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
  req.on('error', noop)
  res.on('error', noop)
  observeRequest(req, res, info.port, info.scheme)
  const server = ctx.serverHeader
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
    const peer = facts.sourceAddress
    const config = ctx.current()
    const decision = ctx.route(config, facts)
    observeDecision(res, decision)
    const client = trustedClientAddress(req.headers['x-forwarded-for'], peer, ctx.numTrustedProxies ?? 0)
    execute(ctx, config, decision, info, req, res, peer, client, h2)
  } catch (error) {
    ctx.logger.error({ err: error }, 'request failed')
    localReply(res, 500, server)
  }
}

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
  const peer = plainAddress(socket.remoteAddress)
  const sni = info.scheme === 'https' && typeof socket.servername === 'string' ? socket.servername : undefined
  return {
    port: info.port,
    scheme: info.scheme,
    method: req.method ?? 'GET',
    authority,
    path,
    headers: req.headers as RequestFacts['headers'],
    ...(sni === undefined ? {} : { sni }),
    ...(peer === undefined ? {} : { sourceAddress: peer }),
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
        ? !(req as unknown as { stream?: { endAfterHeaders?: boolean } }).stream?.endAfterHeaders &&
          req.headers['content-length'] !== '0'
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
