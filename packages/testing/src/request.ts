import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { type ClientHttp2Session, constants as h2, connect as http2Connect } from 'node:http2'
import { isIP, connect as netConnect, type Socket } from 'node:net'
import { type PeerCertificate, type TLSSocket, connect as tlsConnect } from 'node:tls'

/** Where to connect: `{ host, port }`, `'host:port'` (`'[::1]:port'`), or a port on 127.0.0.1. */
export type Target = { readonly host: string; readonly port: number } | string | number

/** Options of {@link request}. */
export interface RequestOptions {
  /** The URL whose name goes into SNI and Host / :authority; the connection goes to the target. */
  readonly url: string
  readonly method?: string
  readonly headers?: Readonly<Record<string, string | readonly string[]>>
  readonly body?: string | Buffer
  /** Offer h2 by ALPN (https) or speak h2 with prior knowledge (http). Default false: HTTP/1.1. */
  readonly http2?: boolean
  /** Trusted CA certificates (PEM). */
  readonly ca?: string | readonly string[]
  /** Skip certificate verification (curl `-k`). */
  readonly insecure?: boolean
  /** Client certificate for mutual TLS. */
  readonly clientCert?: { readonly cert: string; readonly key: string }
  /** SNI to send instead of the URL's host name; `false` sends none. */
  readonly servername?: string | false
  /** Bound on the whole exchange (default 10 s); on expiry the promise rejects with code `ETIMEDOUT`. */
  readonly timeoutMs?: number
}

/** A complete response. */
export interface HttpResponse {
  readonly status: number
  /** Lower-case header names; repeated headers (set-cookie) as arrays. */
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  /** `h2` or `http/1.1`. */
  readonly protocol: 'h2' | 'http/1.1'
  /** `2.0` or `1.1` (or `1.0` if the server answered so). */
  readonly httpVersion: string
  /** The server's certificate, on TLS connections. */
  readonly peerCertificate?: PeerCertificate
  /** The body as UTF-8 text. */
  text(): string
  /** The body parsed as JSON. */
  json<T = unknown>(): T
}

/** Resolves a {@link Target} to host and port. */
export function parseTarget(target: Target): { host: string; port: number } {
  if (typeof target === 'number') return { host: '127.0.0.1', port: target }
  if (typeof target !== 'string') return { host: target.host, port: target.port }
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(target) ?? /^([^:]+):(\d+)$/.exec(target)
  if (!m) throw new TypeError(`target must be host:port, got ${target}`)
  return { host: m[1]!, port: Number(m[2]) }
}

function timeoutError(ms: number): Error {
  return Object.assign(new Error(`request timed out after ${ms} ms`), { code: 'ETIMEDOUT' })
}

function makeResponse(
  status: number,
  headers: IncomingHttpHeaders,
  body: Buffer,
  protocol: 'h2' | 'http/1.1',
  httpVersion: string,
  peerCertificate: PeerCertificate | undefined,
): HttpResponse {
  return {
    status,
    headers,
    body,
    protocol,
    httpVersion,
    ...(peerCertificate === undefined ? {} : { peerCertificate }),
    text: () => body.toString('utf8'),
    json: <T>() => JSON.parse(body.toString('utf8')) as T,
  }
}

/** Opens TCP (and TLS when `tls`), resolving once the connection (and handshake) is up. */
function openSocket(
  addr: { host: string; port: number },
  tls: boolean,
  alpn: string[],
  options: RequestOptions,
  servername: string | undefined,
  opened: Array<Socket | ClientHttp2Session>,
): Promise<Socket | TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls
      ? tlsConnect({
          host: addr.host,
          port: addr.port,
          ...(servername === undefined ? {} : { servername }),
          ALPNProtocols: alpn,
          ...(options.ca === undefined ? {} : { ca: options.ca as string | string[] }),
          rejectUnauthorized: options.insecure !== true,
          ...(options.clientCert === undefined
            ? {}
            : { cert: options.clientCert.cert, key: options.clientCert.key }),
        })
      : netConnect({ host: addr.host, port: addr.port })
    opened.push(socket)
    socket.once('error', reject)
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      socket.off('error', reject)
      resolve(socket)
    })
  })
}

function headerList(headers: RequestOptions['headers']): Array<[string, string | string[]]> {
  return Object.entries(headers ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : [...v]])
}

/**
 * One HTTP exchange in the manner of `curl --resolve name:port:address`: the connection goes to
 * `target`, while SNI and Host / :authority carry the URL's name. h2 is negotiated by ALPN when
 * `http2` is set. Connection errors (refused, handshake failure) reject with Node's error, code kept.
 */
export async function request(target: Target, options: RequestOptions): Promise<HttpResponse> {
  const addr = parseTarget(target)
  const url = new URL(options.url)
  const tls = url.protocol === 'https:'
  const hostname = url.hostname.replace(/^\[|\]$/g, '')
  const servername =
    options.servername === false ? undefined : (options.servername ?? (isIP(hostname) ? undefined : hostname))
  const timeoutMs = options.timeoutMs ?? 10_000
  const sockets: Array<Socket | ClientHttp2Session> = []
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      for (const s of sockets) s.destroy()
      reject(timeoutError(timeoutMs))
    }, timeoutMs)
  })
  const exchange = async (): Promise<HttpResponse> => {
    const alpn = options.http2 ? ['h2', 'http/1.1'] : ['http/1.1']
    const socket = await openSocket(addr, tls, alpn, options, servername, sockets)
    const peer = tls ? (socket as TLSSocket).getPeerCertificate() : undefined
    const useH2 = tls ? (socket as TLSSocket).alpnProtocol === 'h2' : options.http2 === true
    const path = `${url.pathname}${url.search}`
    const body = options.body === undefined ? undefined : Buffer.from(options.body)
    if (useH2) return await exchangeH2(socket, url, path, body, options, peer, sockets)
    return await exchangeH1(socket, url, path, body, options, peer)
  }
  try {
    return await Promise.race([exchange(), timeout])
  } finally {
    clearTimeout(timer)
  }
}

function exchangeH1(
  socket: Socket,
  url: URL,
  path: string,
  body: Buffer | undefined,
  options: RequestOptions,
  peer: PeerCertificate | undefined,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const headers = headerList(options.headers)
    if (!headers.some(([k]) => k.toLowerCase() === 'host')) headers.unshift(['Host', url.host])
    if (body !== undefined && !headers.some(([k]) => /^(content-length|transfer-encoding)$/i.test(k))) {
      headers.push(['Content-Length', String(body.length)])
    }
    const req = httpRequest({
      method: options.method ?? 'GET',
      path,
      headers: Object.fromEntries(headers),
      // With createConnection and no agent, the request owns exactly this connection.
      createConnection: () => socket,
    })
    req.once('error', reject)
    req.once('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.once('error', reject)
      res.once('end', () => {
        socket.destroy()
        resolve(
          makeResponse(
            res.statusCode ?? 0,
            res.headers,
            Buffer.concat(chunks),
            'http/1.1',
            res.httpVersion,
            peer,
          ),
        )
      })
    })
    req.end(body)
  })
}

function exchangeH2(
  socket: Socket,
  url: URL,
  path: string,
  body: Buffer | undefined,
  options: RequestOptions,
  peer: PeerCertificate | undefined,
  sessions: Array<Socket | ClientHttp2Session>,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(url.origin, { createConnection: () => socket })
    sessions.push(session)
    session.once('error', reject)
    const headers: Record<string, string | string[]> = {
      [h2.HTTP2_HEADER_METHOD]: options.method ?? 'GET',
      [h2.HTTP2_HEADER_PATH]: path,
      [h2.HTTP2_HEADER_SCHEME]: url.protocol.slice(0, -1),
      [h2.HTTP2_HEADER_AUTHORITY]: url.host,
    }
    for (const [k, v] of headerList(options.headers)) {
      if (k.toLowerCase() === 'host') headers[h2.HTTP2_HEADER_AUTHORITY] = typeof v === 'string' ? v : v[0]!
      else headers[k.toLowerCase()] = v
    }
    const stream = session.request(headers, { endStream: body === undefined })
    stream.once('error', reject)
    stream.once('response', (responseHeaders) => {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.once('end', () => {
        const status = Number(responseHeaders[h2.HTTP2_HEADER_STATUS])
        const plain: IncomingHttpHeaders = {}
        for (const [k, v] of Object.entries(responseHeaders)) {
          if (!k.startsWith(':')) plain[k] = v as string | string[]
        }
        session.close()
        resolve(makeResponse(status, plain, Buffer.concat(chunks), 'h2', '2.0', peer))
      })
    })
    if (body !== undefined) stream.end(body)
  })
}

/** Options of {@link rawRequest}. */
export interface RawRequestOptions {
  /** Wrap the connection in TLS (certificates are not verified). */
  readonly tls?: boolean
  /** SNI for the TLS connection. */
  readonly servername?: string
  /** ALPN protocols to offer over TLS. */
  readonly alpn?: readonly string[]
  /** How long to collect the answer (default 2 s); what arrived by then is returned. */
  readonly timeoutMs?: number
}

/**
 * Writes `bytes` as they are over TCP (or TLS) to `target` and returns everything the peer sent
 * until it closed the connection or `timeoutMs` passed: for requests no well-behaved client sends.
 */
export function rawRequest(
  target: Target,
  bytes: string | Buffer,
  options: RawRequestOptions = {},
): Promise<Buffer> {
  const addr = parseTarget(target)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket: Socket = options.tls
      ? tlsConnect({
          host: addr.host,
          port: addr.port,
          rejectUnauthorized: false,
          ...(options.servername === undefined ? {} : { servername: options.servername }),
          ...(options.alpn === undefined ? {} : { ALPNProtocols: [...options.alpn] }),
        })
      : netConnect({ host: addr.host, port: addr.port })
    let connected = false
    const finish = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(Buffer.concat(chunks))
    }
    const timer = setTimeout(finish, options.timeoutMs ?? 2000)
    socket.once(options.tls ? 'secureConnect' : 'connect', () => {
      connected = true
      socket.write(bytes)
    })
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.once('close', finish)
    socket.once('error', (err) => {
      if (connected) return finish()
      clearTimeout(timer)
      socket.destroy()
      reject(err)
    })
  })
}
