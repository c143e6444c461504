import { type IncomingMessage, ServerResponse, STATUS_CODES } from 'node:http'
import { connect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { type Cluster, pickDestination } from '@portico/core'
import { appendForwardedFor, endToEnd, ensureRequestId, REQUEST_DROP } from '../proxy/headers.js'
import { LOCAL_BODY } from '../proxy/local-reply.js'
import { type HandlerContext, handleRequest, hostCount, type ListenerInfo, requestFacts } from './handler.js'

function noop(): void {}

function reply(socket: Duplex, status: number, server: string | false, body = ''): void {
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`]
  if (server !== false) lines.push(`server: ${server}`)
  lines.push(`date: ${new Date().toUTCString()}`)
  if (body !== '') lines.push('content-type: text/plain')
  lines.push(`content-length: ${Buffer.byteLength(body)}`, 'connection: close')
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`)
}

/**
 * An HTTP/1.1 request carrying `Upgrade`. WebSocket upgrades on a forward route are tunnelled
 * to one endpoint (Istio allows WebSocket by default): the request head is re-written with the
 * gateway's headers, then bytes flow both ways. Any other upgrade (h2c included) is served as
 * a plain request with the upgrade stripped, on a connection closed afterwards.
 */
export function handleUpgrade(
  ctx: HandlerContext,
  info: ListenerInfo,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  socket.on('error', noop)
  const server = ctx.serverHeader
  const websocket = (req.headers.upgrade ?? '').toLowerCase() === 'websocket' && req.method === 'GET'
  if (!websocket) {
    if (
      head.length > 0 ||
      (req.headers['content-length'] ?? '0') !== '0' ||
      req.headers['transfer-encoding']
    ) {
      return void reply(socket, 400, server)
    }
    const res = new ServerResponse(req)
    res.shouldKeepAlive = false
    res.assignSocket(socket as Socket)
    res.once('finish', () => {
      res.detachSocket(socket as Socket)
      socket.end()
    })
    return void handleRequest(ctx, info, req, res)
  }
  if (hostCount(req.rawHeaders) > 1) return void reply(socket, 400, server)
  const facts = requestFacts(info, req)
  if (facts === undefined) return void reply(socket, 400, server)
  const config = ctx.current()
  const decision = ctx.route(config, facts)
  if (decision.kind === 'notFound') return void reply(socket, 404, server)
  if (decision.kind === 'reject') return void reply(socket, decision.status, server)
  if (decision.kind !== 'route') {
    // Redirects and direct responses answer the upgrade request like any other request.
    const res = new ServerResponse(req)
    res.shouldKeepAlive = false
    res.assignSocket(socket as Socket)
    res.once('finish', () => socket.end())
    return void handleRequest(ctx, info, req, res)
  }
  const destination = pickDestination(decision.forward, Math.random())
  const cluster: Cluster | undefined =
    destination === undefined ? undefined : config.clusters.get(destination.clusterName)
  if (cluster === undefined) return void reply(socket, 503, server)
  const pick = ctx.balancer.pick(cluster, undefined)
  if (pick === undefined) return void reply(socket, 503, server, LOCAL_BODY.noHealthyUpstream)

  const headers = endToEnd(req.headers, REQUEST_DROP)
  appendForwardedFor(headers, facts.sourceAddress)
  headers['x-forwarded-proto'] = info.scheme
  ensureRequestId(headers)
  headers['x-envoy-attempt-count'] = '1'
  headers.host = decision.upstreamAuthority
  headers.connection = 'upgrade'
  headers.upgrade = 'websocket'
  const lines = [`GET ${decision.upstreamPath} HTTP/1.1`]
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (/[\r\n\0]/.test(v)) return void reply(socket, 400, server)
      lines.push(`${name}: ${v}`)
    }
  }
  const endpoint = pick.endpoint
  const upstream = connect({ host: endpoint.address, port: endpoint.port })
  const timer = setTimeout(
    () => upstream.destroy(new Error('connect timeout')),
    cluster.trafficPolicy.connectTimeoutMs,
  )
  let connected = false
  ctx.balancer.acquire(endpoint)
  upstream.once('close', () => {
    ctx.balancer.release(endpoint)
    socket.destroy()
  })
  socket.once('close', () => upstream.destroy())
  upstream.on('error', () => {
    if (!connected) {
      reply(socket, 503, server, `${LOCAL_BODY.connectError}reset reason: connection failure`)
    }
  })
  upstream.once('connect', () => {
    connected = true
    clearTimeout(timer)
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`)
    if (head.length > 0) upstream.write(head)
    upstream.pipe(socket)
    socket.pipe(upstream)
  })
}
