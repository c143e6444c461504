/**
 * Test-only fixture of the hostile-input suites: a gateway compiled by core from Istio YAML, an
 * upstream that records every request it receives and can misbehave on demand, and raw-socket
 * helpers. Not exported from the package.
 */

import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { type AddressInfo, connect as netConnect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CompileOptions, type PathPolicy, parseResources, type RegistryService } from '@portico/core'
import { createCertificate } from '@portico/testing'
import { expect } from 'vitest'
import { CHANNELS, type RequestEndEvent } from '../events/channels.js'
import { createGateway, type Gateway, type GatewayOptions } from '../gateway.js'

/** One request as the upstream received it. */
export interface Received {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly rawHeaders: readonly string[]
  readonly body: string
  /** The request body arrived whole (`end` was seen). */
  readonly complete: boolean
}

/** An upstream that records what reaches it. */
export interface Recorder {
  readonly port: number
  /** Requests whose head arrived, in order (body filled in as it completes). */
  readonly received: Received[]
  /** Connections currently open to the upstream. */
  readonly openConnections: () => number
  /** Responses the upstream could not finish because the gateway went away. */
  readonly cancelled: () => number
  reset(): void
  close(): Promise<void>
}

/**
 * Starts the recording upstream. Behaviour by path segment:
 * `/_hang` never answers, `/_reset` destroys the socket before answering, `/_die` sends headers
 * and part of the body then resets, `/_garbage` answers bytes that are not HTTP, `/_dupcl`
 * answers two different Content-Lengths, `/_bighead` a 200 KB header, `/_crlf` a header value with
 * a bare CR, `/_conn` connection-specific headers (Connection, Keep-Alive, a nominated field,
 * Upgrade, Transfer-Encoding), `/_slow` a body in five pieces 30 ms apart, `/_status/<n>` that status;
 * anything else echoes the request as JSON.
 */
export async function startRecorder(): Promise<Recorder> {
  const received: Received[] = []
  const sockets = new Set<Socket>()
  let cancelled = 0
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    const record = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: { ...req.headers },
      rawHeaders: [...req.rawHeaders],
      body: '',
      complete: false,
    }
    received.push(record)
    res.once('close', () => {
      if (!res.writableFinished) cancelled++
    })
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('error', () => {})
    req.on('end', () => {
      record.body = Buffer.concat(chunks).toString('latin1')
      record.complete = true
      respond(req, res, record)
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('error', () => {})
    s.once('close', () => sockets.delete(s))
  })
  server.on('clientError', (_e, socket) => socket.destroy())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    received,
    openConnections: () => sockets.size,
    cancelled: () => cancelled,
    reset() {
      received.length = 0
      cancelled = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

function respond(req: IncomingMessage, res: ServerResponse, record: Received): void {
  const url = record.url
  const socket = req.socket
  if (url.includes('/_hang')) return
  if (url.includes('/_reset')) return void socket.destroy()
  if (url.includes('/_die')) {
    res.writeHead(200, { 'content-length': '100000' })
    res.write(Buffer.alloc(1000, 97))
    setTimeout(() => socket.destroy(), 20)
    return
  }
  if (url.includes('/_garbage')) {
    socket.end('SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02 not http at all\r\n\r\n')
    return
  }
  if (url.includes('/_dupcl')) {
    socket.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello!!')
    return
  }
  if (url.includes('/_bighead')) {
    socket.end(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(200_000)}\r\nContent-Length: 2\r\n\r\nok`)
    return
  }
  if (url.includes('/_crlf')) {
    socket.end('HTTP/1.1 200 OK\r\nX-Split: a\rInjected: yes\r\nContent-Length: 2\r\n\r\nok')
    return
  }
  if (url.includes('/_conn')) {
    socket.end(
      'HTTP/1.1 200 OK\r\nConnection: keep-alive, x-nominated\r\nKeep-Alive: timeout=5\r\n' +
        'X-Nominated: secret\r\nProxy-Connection: keep-alive\r\nUpgrade: h2c\r\n' +
        'Transfer-Encoding: chunked\r\nX-Kept: yes\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    )
    return
  }
  if (url.includes('/_slow')) {
    res.writeHead(200, { 'content-type': 'text/plain' })
    let i = 0
    const tick = () => {
      if (i++ >= 5) return void res.end()
      res.write(`part${i};`)
      setTimeout(tick, 30)
    }
    tick()
    return
  }
  const status = /\/_status\/(\d{3})/.exec(url)
  if (status) {
    res.writeHead(Number(status[1]), { 'content-length': '0' })
    return void res.end()
  }
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ url, headers: record.headers, body: record.body }))
}

/** A certificate and key on disk for the given names (RSA, so RSA key-transport suites could apply). */
export function certificateFiles(names: readonly string[]): {
  cert: string
  key: string
  certFile: string
  keyFile: string
} {
  const pair = createCertificate({ commonName: names[0]!, altNames: names, keyType: 'rsa' })
  const dir = mkdtempSync(join(tmpdir(), 'portico-hostile-'))
  const certFile = join(dir, 'tls.crt')
  const keyFile = join(dir, 'tls.key')
  writeFileSync(certFile, pair.cert)
  writeFileSync(keyFile, pair.key, { mode: 0o600 })
  return { ...pair, certFile, keyFile }
}

/** The backend service every suite routes to. */
export const BACKEND = 'backend.default.svc.cluster.local'

/** What {@link hostileYaml} builds. */
export interface HostileYamlOptions {
  /** Certificate for the HTTPS servers on 443 (`a.example.com`, `b.example.com`). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string }
  /** Extra YAML documents appended. */
  readonly extra?: string
}

/**
 * The suite's config in Istio's own terms. Ports 80 (HTTP/1.1) and 8080 (HTTP2, so h2c too) serve `*`; `public.example.com` exposes
 * `/public/` from the backend and denies `/admin` with a 403 direct response (the shape of the
 * CVE-2019-9901 report: a rule on a path that traversal must not slip past); `/redirect` answers
 * a redirect built from the request; `/ops` sets a header from a formatter. With `tls`, port 443
 * has one server per host, each with its own route table.
 */
export function hostileYaml(options: HostileYamlOptions = {}): string {
  const tls = options.tls
  const https = tls
    ? `
  - port: { number: 443, name: https-a, protocol: HTTPS }
    hosts: [a.example.com]
    tls: { mode: SIMPLE, serverCertificate: ${tls.certFile}, privateKey: ${tls.keyFile} }
  - port: { number: 443, name: https-b, protocol: HTTPS }
    hosts: [b.example.com]
    tls: { mode: SIMPLE, serverCertificate: ${tls.certFile}, privateKey: ${tls.keyFile} }`
    : ''
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: 80, name: http, protocol: HTTP }
    hosts: ["*"]
  - port: { number: 8080, name: http2, protocol: HTTP2 }
    hosts: ["*"]${https}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: public }
spec:
  hosts: [public.example.com, a.example.com, b.example.com]
  gateways: [gw]
  http:
  - match: [{ uri: { prefix: /admin } }]
    directResponse: { status: 403, body: { string: denied } }
  - match: [{ uri: { prefix: /public/ } }]
    route: [{ destination: { host: backend, port: { number: 8000 } } }]
  - match: [{ uri: { prefix: /timeout/ } }]
    timeout: 300ms
    route: [{ destination: { host: backend, port: { number: 8000 } } }]
  - match: [{ uri: { prefix: /retry/ } }]
    retries: { attempts: 2, retryOn: "5xx,reset,connect-failure" }
    route: [{ destination: { host: backend, port: { number: 8000 } } }]
  - match: [{ uri: { prefix: /redirect } }]
    redirect: { authority: elsewhere.example.com }
  - match: [{ uri: { prefix: /ops/ } }]
    headers:
      request: { set: { x-peer: "%DOWNSTREAM_REMOTE_ADDRESS%" } }
      response: { set: { x-route: ops } }
    route: [{ destination: { host: backend, port: { number: 8000 } } }]
${options.extra ?? ''}`
}

/** A gateway from YAML, with `backend` pointing at `upstreamPort`. */
export async function hostileGateway(
  upstreamPort: number,
  yaml: string,
  options: {
    readonly pathPolicy?: PathPolicy
    readonly compile?: Partial<CompileOptions>
    readonly gateway?: Partial<GatewayOptions>
    readonly services?: Readonly<Record<string, RegistryService>>
  } = {},
): Promise<Gateway> {
  const { resources, diagnostics } = parseResources(yaml, 'hostile.yaml')
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([])
  const services: Record<string, RegistryService> = {
    [BACKEND]: {
      ports: [{ number: 8000, name: 'http', protocol: 'HTTP' }],
      endpoints: [{ address: '127.0.0.1', port: upstreamPort }],
    },
    ...(options.services ?? {}),
  }
  return createGateway({
    config: {
      resources,
      compile: {
        services,
        ...(options.pathPolicy === undefined ? {} : { pathPolicy: options.pathPolicy }),
        ...(options.compile ?? {}),
      },
    },
    ports: { 80: 0, 443: 0, 8080: 0 },
    bind: '127.0.0.1',
    drainTimeoutMs: 200,
    ...(options.gateway ?? {}),
  })
}

/** A parsed raw HTTP/1.1 answer: the first status line and whether the peer closed. */
export interface RawAnswer {
  readonly text: string
  /** Final status of the first response (after any 1xx), 0 when none arrived. */
  readonly status: number
  /** Number of response status lines seen (pipelining). */
  readonly responses: number
  /** The peer closed the connection before the timeout. */
  readonly closed: boolean
}

/**
 * Writes `bytes` to 127.0.0.1:port and collects the answer until the peer closes or `timeoutMs`
 * passes (a keep-alive connection that stays open reports `closed: false`). With `end`, the
 * client half-closes after writing, so the peer answers what it has and closes.
 */
export function raw(port: number, bytes: string | Buffer, timeoutMs = 1000, end = false): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let closed = false
    const socket = netConnect(port, '127.0.0.1', () => (end ? socket.end(bytes) : socket.write(bytes)))
    const finish = () => {
      clearTimeout(timer)
      socket.destroy()
      const text = Buffer.concat(chunks).toString('latin1')
      // The first final status: an interim `100 Continue` is skipped.
      const m = /^(?:HTTP\/1\.1 1\d\d [^\r\n]*\r\n\r\n)*HTTP\/1\.[01] (\d{3})/.exec(text)
      resolve({
        text,
        status: m ? Number(m[1]) : 0,
        responses: (text.match(/HTTP\/1\.[01] \d{3} /g) ?? []).length,
        closed,
      })
    }
    const timer = setTimeout(finish, timeoutMs)
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', () => {})
    socket.once('close', () => {
      closed = true
      finish()
    })
  })
}

/** `GET <target>` with a Host, as raw bytes. */
export function get(target: string, host = 'public.example.com', extra = ''): string {
  return `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`
}

/** Asserts the gateway still serves a normal request on port 80 and the upstream receives it. */
export async function stillServes(gateway: Gateway, recorder: Recorder): Promise<void> {
  const before = recorder.received.length
  const answer = await raw(gateway.addresses[80]!.port, get('/public/alive'), 10_000)
  expect(answer.status).toBe(200)
  expect(recorder.received.length).toBe(before + 1)
  expect(recorder.received.at(-1)?.url).toBe('/public/alive')
}

/** Waits until `check` holds, polling every 10 ms, up to `ms`. */
export async function eventually(check: () => boolean, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (check()) return true
    await new Promise((r) => setTimeout(r, 10))
  }
  return check()
}

/** Collects the gateway's `portico:request:end` records (status, response flags) until `stop()`. */
export function recordEnds(): { readonly events: RequestEndEvent[]; stop(): void } {
  const events: RequestEndEvent[] = []
  const onEnd = (message: unknown) => void events.push(message as RequestEndEvent)
  subscribe(CHANNELS.requestEnd, onEnd)
  return { events, stop: () => void unsubscribe(CHANNELS.requestEnd, onEnd) }
}
