/**
 * Test-only builders: hand-built CompiledConfig objects and a minimal router over them, plus an
 * upstream that reports what it received. Not exported from the package.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type {
  Cluster,
  ClusterPolicy,
  CompiledConfig,
  CompiledListener,
  CompiledRoute,
  CompiledServer,
  CorsSpec,
  Endpoint,
  FaultSpec,
  ForwardSpec,
  HeaderOps,
  MirrorSpec,
  RequestFacts,
  RetryPolicy,
  RouteActionSpec,
  RouteDecision,
  ServerTls,
  TlsRouteEntry,
  WeightedDestination,
} from '@portico/core'
import { createCertificate, createCertificateAuthority } from '@portico/testing'

export const noOps: HeaderOps = {
  request: { set: [], add: [], remove: [] },
  response: { set: [], add: [], remove: [] },
}

export const defaultRetries: RetryPolicy = {
  attempts: 2,
  retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes'],
  retriableStatusCodes: [],
  isDefault: true,
}

export const defaultPolicy: ClusterPolicy = {
  loadBalancer: { kind: 'LEAST_REQUEST' },
  connectTimeoutMs: 10_000,
}

export function cluster(
  name: string,
  endpoints: readonly { port: number; address?: string; weight?: number }[],
  policy: Partial<ClusterPolicy> = {},
): Cluster {
  return {
    name,
    host: name.split('|')[3] ?? name,
    port: 8000,
    protocol: 'HTTP',
    resolution: 'STATIC',
    endpoints: endpoints.map(
      (e): Endpoint => ({
        address: e.address ?? '127.0.0.1',
        port: e.port,
        labels: {},
        weight: e.weight ?? 1,
      }),
    ),
    trafficPolicy: { ...defaultPolicy, ...policy },
  }
}

export function destination(
  clusterName: string,
  weight = 100,
  headers: HeaderOps = noOps,
): WeightedDestination {
  return { host: clusterName, weight, clusterName, headers }
}

export interface ForwardOptions {
  readonly destinations: readonly WeightedDestination[]
  readonly headers?: HeaderOps
  readonly timeoutMs?: number
  readonly retries?: RetryPolicy
  readonly fault?: FaultSpec
  readonly mirrors?: readonly MirrorSpec[]
  readonly cors?: CorsSpec
}

export function forwardSpec(o: ForwardOptions): ForwardSpec {
  let sum = 0
  return {
    destinations: o.destinations,
    cumulativeWeights: o.destinations.map((d) => (sum += d.weight)),
    headers: o.headers ?? noOps,
    ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
    retries: o.retries ?? defaultRetries,
    ...(o.fault === undefined ? {} : { fault: o.fault }),
    mirrors: o.mirrors ?? [],
    ...(o.cors === undefined ? {} : { cors: o.cors }),
  }
}

/** A route on a path prefix. `rewrite` replaces the prefix in the forwarded path. */
export interface RouteOptions {
  readonly prefix: string
  readonly action: RouteActionSpec
  readonly rewrite?: string
}

const origin = {
  virtualService: { kind: 'VirtualService', namespace: 'default', name: 'test' },
  routeIndex: 0,
}

function compiledRoute(r: RouteOptions): CompiledRoute & { rewritePrefix?: string } {
  return {
    origin,
    matchDescription: `prefix ${r.prefix}`,
    matches: (view) => view.path.startsWith(r.prefix),
    action: r.action,
    catchAll: r.prefix === '/',
    ...(r.rewrite === undefined ? {} : { rewritePrefix: r.rewrite }),
  }
}

export function httpServer(
  name: string,
  hosts: readonly string[],
  routes: readonly RouteOptions[],
  tls?: ServerTls,
) {
  const compiled = routes.map(compiledRoute)
  const vhost = {
    name: `${hosts[0]}:0`,
    domains: hosts,
    routes: compiled,
    requireTls: false,
    matchRoute: (view: Parameters<CompiledRoute['matches']>[0]) => compiled.find((r) => r.matches(view)),
  }
  const server: CompiledServer = {
    name,
    gateways: [],
    hosts,
    protocol: tls ? 'HTTPS' : 'HTTP',
    httpsRedirect: false,
    ...(tls === undefined ? {} : { tls }),
    http: {
      name,
      virtualHosts: [vhost],
      findVirtualHost: (host) =>
        hosts.some((h) => h === '*' || h === host || (h.startsWith('*.') && host.endsWith(h.slice(1))))
          ? vhost
          : undefined,
    },
  }
  return server
}

function selectBy(servers: readonly CompiledServer[]) {
  return (sni: string | undefined) =>
    servers.find((s) => s.hosts.includes('*')) && sni === undefined
      ? servers.find((s) => s.hosts.includes('*'))
      : (servers.find((s) => sni !== undefined && s.hosts.includes(sni)) ??
        servers.find(
          (s) => sni !== undefined && s.hosts.some((h) => h.startsWith('*.') && sni.endsWith(h.slice(1))),
        ) ??
        servers.find((s) => s.hosts.includes('*')))
}

export function listener(
  port: number,
  protocol: CompiledListener['protocol'],
  servers: readonly CompiledServer[],
  h2c = false,
): CompiledListener {
  return {
    name: `${protocol.toLowerCase()}.${port}`,
    port,
    protocol,
    h2c,
    servers,
    selectServer: protocol === 'HTTP' ? () => servers[0] : selectBy(servers),
  }
}

export function passthroughServer(
  hosts: readonly string[],
  entries: readonly TlsRouteEntry[],
): CompiledServer {
  return {
    name: `passthrough.${hosts[0]}`,
    gateways: [],
    hosts,
    protocol: 'TLS',
    httpsRedirect: false,
    tls: { mode: 'PASSTHROUGH', subjectAltNames: [], minVersion: 'TLSv1.2' },
    passthrough: entries,
  }
}

let version = 0
export function config(listeners: readonly CompiledListener[], clusters: readonly Cluster[]): CompiledConfig {
  return {
    version: ++version,
    listeners: new Map(listeners.map((l) => [l.port, l])),
    clusters: new Map(clusters.map((c) => [c.name, c])),
    diagnostics: [],
  }
}

/** A minimal router over the builders above (prefix matching, prefix rewrite). */
export function testRoute(compiled: CompiledConfig, facts: RequestFacts): RouteDecision {
  const path = facts.path
  const l = compiled.listeners.get(facts.port)
  if (l === undefined) return { kind: 'notFound', reason: 'no-listener', path }
  const server = l.protocol === 'HTTP' ? l.servers[0] : l.selectServer(facts.sni)
  if (server?.http === undefined) return { kind: 'notFound', reason: 'no-server', path }
  const host = facts.authority.replace(/:\d+$/, '').toLowerCase()
  const vhost = server.http.findVirtualHost(host)
  if (vhost === undefined) return { kind: 'notFound', reason: 'no-virtual-host', path }
  const q = path.indexOf('?')
  const view = {
    scheme: facts.scheme,
    method: facts.method,
    authority: facts.authority,
    path: q < 0 ? path : path.slice(0, q),
    query: q < 0 ? '' : path.slice(q + 1),
    header: (name: string) => {
      const v = facts.headers[name]
      return Array.isArray(v) ? v.join(',') : (v as string | undefined)
    },
    queryParam: () => undefined,
  }
  const matched = vhost.routes.find((r) => r.matches(view)) as
    | (CompiledRoute & { rewritePrefix?: string; matchDescription: string })
    | undefined
  if (matched === undefined) return { kind: 'notFound', reason: 'no-route', path }
  const action = matched.action
  switch (action.kind) {
    case 'route': {
      const prefix = matched.matchDescription.slice('prefix '.length)
      const upstreamPath =
        matched.rewritePrefix === undefined ? path : matched.rewritePrefix + path.slice(prefix.length)
      return {
        kind: 'route',
        origin: matched.origin,
        forward: action.route,
        upstreamPath,
        upstreamAuthority: action.route.rewrite?.authority ?? facts.authority,
        path,
      }
    }
    case 'redirect':
      return {
        kind: 'redirect',
        status: action.redirect.status,
        location: `${action.redirect.scheme ?? facts.scheme}://${action.redirect.authority ?? facts.authority}${action.redirect.uri ?? path}`,
        headers: action.redirect.headers,
        path,
      }
    case 'directResponse':
      return {
        kind: 'directResponse',
        origin: matched.origin,
        status: action.status,
        ...(action.body === undefined ? {} : { body: action.body }),
        headers: action.headers,
        path,
      }
  }
}

/** What the reporting upstream saw. */
export interface Seen {
  readonly method: string
  readonly url: string
  readonly httpVersion: string
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
}

export interface Upstream {
  readonly port: number
  readonly seen: Seen[]
  /** Requests received, including those answered by special paths. */
  count: number
  /** Responses whose connection closed before they were complete. */
  readonly aborted: number
  close(): Promise<void>
}

/**
 * An HTTP/1.1 upstream that reports what it received as JSON. Paths: `/status/<code>`,
 * `/delay/<ms>`, `/reset` (destroys the socket), `/stream/<n>` (n chunks of 16 KiB, 5 ms apart),
 * `/die-mid-body` (headers, one chunk, then a reset), anything else echoes.
 */
export async function startUpstream(name = 'upstream'): Promise<Upstream> {
  const seen: Seen[] = []
  const sockets = new Set<Socket>()
  const state = { count: 0, aborted: 0 }
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.count++
    res.once('close', () => {
      if (!res.writableFinished) state.aborted++
    })
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const record: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        httpVersion: req.httpVersion,
        headers: { ...req.headers },
        body,
      }
      seen.push(record)
      const url = req.url ?? '/'
      const status = /^\/status\/(\d{3})/.exec(url)
      const delay = /^\/delay\/(\d+)/.exec(url)
      const stream = /^\/stream\/(\d+)/.exec(url)
      if (url.startsWith('/reset')) return req.socket.destroy()
      if (url.startsWith('/die-mid-body')) {
        res.writeHead(200, { 'content-length': '100000' })
        res.write(Buffer.alloc(1000, 97))
        setTimeout(() => req.socket.destroy(), 20)
        return
      }
      if (stream) {
        const n = Number(stream[1])
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          connection: 'keep-alive',
          'x-upstream': name,
        })
        let i = 0
        const tick = () => {
          if (i++ >= n) return res.end()
          res.write(Buffer.alloc(16384, 98))
          setTimeout(tick, 5)
        }
        return tick()
      }
      const send = () => {
        if (status) {
          res.writeHead(Number(status[1]), { 'content-type': 'text/html; charset=utf-8', 'x-upstream': name })
          return res.end()
        }
        const json = JSON.stringify(record)
        res.writeHead(200, {
          'content-type': 'application/json',
          'x-upstream': name,
          server: 'upstream-server',
          'keep-alive': 'timeout=7, max=3',
          connection: 'keep-alive, x-secret-hop',
          'x-secret-hop': 'leak',
        })
        res.end(json)
      }
      if (delay) setTimeout(send, Number(delay[1]))
      else send()
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    seen,
    get count() {
      return state.count
    },
    set count(v: number) {
      state.count = v
    },
    get aborted() {
      return state.aborted
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

/** A self-signed certificate (and key) for the given DNS names, written to a temporary directory. */
export function selfSigned(names: readonly string[]): {
  certFile: string
  keyFile: string
  cert: string
  key: string
} {
  const pair = createCertificate({ commonName: names[0]!, altNames: names })
  return { ...writePair(pair), ...pair }
}

function writePair(pair: { cert: string; key: string }): { certFile: string; keyFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'portico-cert-'))
  const certFile = join(dir, 'tls.crt')
  const keyFile = join(dir, 'tls.key')
  writeFileSync(certFile, pair.cert)
  writeFileSync(keyFile, pair.key, { mode: 0o600 })
  return { certFile, keyFile }
}

export interface Reply {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
}

/** One HTTP/1.1 request on a fresh connection to 127.0.0.1:port. */
export function http1(
  port: number,
  path: string,
  options: {
    host?: string
    method?: string
    headers?: Record<string, string>
    body?: string | Buffer
    /** A keep-alive agent to reuse connections; one connection per request by default. */
    agent?: import('node:http').Agent
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    import('node:http').then(({ request }) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: options.method ?? 'GET',
          agent: options.agent ?? false,
          headers: { host: options.host ?? 'httpbin.example.com', ...options.headers },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          )
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(options.body)
    }, reject)
  })
}

/** A certificate authority on disk (openssl), for issuing server and client certificates. */
export interface TestCa {
  readonly certFile: string
  readonly keyFile: string
  readonly cert: string
  issue(names: readonly string[]): { certFile: string; keyFile: string; cert: string; key: string }
}

export function testCa(name = 'Test CA'): TestCa {
  const authority = createCertificateAuthority({ commonName: name })
  const { certFile, keyFile } = writePair(authority)
  return {
    certFile,
    keyFile,
    cert: authority.cert,
    issue(names) {
      const pair = createCertificate({ commonName: names[0]!, altNames: names, ca: authority })
      return { ...writePair(pair), ...pair }
    },
  }
}
