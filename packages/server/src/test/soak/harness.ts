/**
 * Test-only: what the leak, churn and soak runs share. A gateway in a child process
 * (`gateway-child.mjs`, measured there), a lean upstream, and a seeded mix of good and hostile
 * traffic over real sockets. Not exported from the package.
 */
import { type ChildProcess, fork } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs'
import { createServer, Agent as HttpAgent, request as httpRequest, type Server } from 'node:http'
import { type ClientHttp2Session, constants, connect as http2Connect } from 'node:http2'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { type AddressInfo, connect as netConnect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { fileURLToPath } from 'node:url'
import { createCertificate } from '@portico/testing'

/** What the child measures, after garbage collection. */
export interface Measure {
  readonly rss: number
  readonly heapUsed: number
  readonly fds: number
  /** `process.getActiveResourcesInfo()` counted by type. */
  readonly handles: Readonly<Record<string, number>>
}

/** The number of active handles in a measure. */
export function handleCount(m: Pick<Measure, 'handles'>): number {
  return Object.values(m.handles).reduce((a, b) => a + b, 0)
}

interface Reply {
  readonly id: number
  readonly value?: unknown
  readonly error?: string
}

/** A gateway running in a child process. */
export interface ChildGateway {
  readonly pid: number
  /** Gateway port → listen port. */
  addresses: Record<number, { port: number }>
  apply(yaml: string): Promise<{ ok: boolean; diagnostics: unknown[] }>
  reload(): Promise<{ ok: boolean; diagnostics: unknown[] }>
  /** Measures after garbage collection. */
  measure(): Promise<Measure>
  /** Descriptors and handles only, without a collection (cheap enough to poll). */
  count(): Promise<Pick<Measure, 'fds' | 'handles'>>
  close(): Promise<void>
}

const CHILD = fileURLToPath(new URL('./gateway-child.mjs', import.meta.url))
const DIST = fileURLToPath(new URL('../../../dist/index.js', import.meta.url))

/** Starts the gateway child on `yaml` (the built packages are needed: `pnpm build`). */
export async function startChildGateway(yaml: string, ports: Record<number, number>): Promise<ChildGateway> {
  if (!existsSync(DIST))
    throw new Error(`the gateway child runs the built server: ${DIST} is missing (pnpm build)`)
  const child: ChildProcess = fork(CHILD, [], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  let next = 1
  let exited: Error | undefined
  child.on('message', (reply: Reply) => {
    const waiter = pending.get(reply.id)
    if (waiter === undefined) return
    pending.delete(reply.id)
    if (reply.error !== undefined) waiter.reject(new Error(reply.error))
    else waiter.resolve(reply.value)
  })
  child.once('exit', (code) => {
    exited = new Error(`the gateway child exited (${code})`)
    for (const waiter of pending.values()) waiter.reject(exited)
    pending.clear()
  })
  const call = <T>(message: Record<string, unknown>): Promise<T> => {
    if (exited !== undefined) return Promise.reject(exited)
    const id = next++
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      child.send({ ...message, id })
    })
  }
  const hello = await new Promise<{ pid: number }>((resolve, reject) => {
    pending.set(0, { resolve: resolve as (v: unknown) => void, reject })
  })
  const started = await call<{ addresses: Record<number, { port: number }> }>({ type: 'start', yaml, ports })
  const gateway: ChildGateway = {
    pid: hello.pid,
    addresses: started.addresses,
    async apply(text) {
      const outcome = await call<{
        ok: boolean
        diagnostics: unknown[]
        addresses: Record<number, { port: number }>
      }>({
        type: 'apply',
        yaml: text,
      })
      gateway.addresses = outcome.addresses
      return outcome
    },
    reload: () => call({ type: 'reload' }),
    measure: () => call({ type: 'measure' }),
    count: () => call({ type: 'count' }),
    async close() {
      if (exited === undefined) await call({ type: 'close' }).catch(() => {})
      child.kill()
      if (exited === undefined) await new Promise((resolve) => child.once('exit', resolve))
    },
  }
  return gateway
}

/** The upstream: `/ok` a small body, `/stream` 32 chunks of 4 KiB 2 ms apart, `/reset` a reset, `/stall` never answers. */
export interface Upstream {
  readonly port: number
  close(): Promise<void>
}

/** Starts the upstream on 127.0.0.1. */
export async function startSoakUpstream(): Promise<Upstream> {
  const sockets = new Set<Socket>()
  const chunk = Buffer.alloc(4096, 120)
  const server: Server = createServer((req, res) => {
    req.resume()
    const url = req.url ?? '/'
    if (url.startsWith('/reset')) return void req.socket.destroy()
    if (url.startsWith('/stall')) return
    if (url.startsWith('/stream')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      let i = 0
      const tick = () => {
        if (res.destroyed) return
        if (i++ >= 32) return void res.end()
        res.write(chunk)
        setTimeout(tick, 2)
      }
      return tick()
    }
    req.once('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' })
      res.end('ok')
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('error', () => {})
    s.once('close', () => sockets.delete(s))
  })
  server.on('clientError', (_e, s) => s.destroy())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** The host the HTTPS server answers for. */
export const SOAK_HOST = 'soak.example.com'

/** Certificate files for {@link SOAK_HOST}; `rotate()` writes a new certificate over them. */
export function soakCertificate(): { certFile: string; keyFile: string; rotate(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'portico-soak-'))
  const write = (target: string) => {
    const pair = createCertificate({ commonName: SOAK_HOST })
    writeFileSync(join(target, 'tls.key'), pair.key, { mode: 0o600 })
    writeFileSync(join(target, 'tls.crt'), pair.cert)
  }
  write(dir)
  return {
    certFile: join(dir, 'tls.crt'),
    keyFile: join(dir, 'tls.key'),
    rotate() {
      const fresh = mkdtempSync(join(tmpdir(), 'portico-soak-next-'))
      write(fresh)
      copyFileSync(join(fresh, 'tls.key'), join(dir, 'tls.key'))
      copyFileSync(join(fresh, 'tls.crt'), join(dir, 'tls.crt'))
    },
  }
}

/** Options of {@link soakYaml}. */
export interface SoakYamlOptions {
  readonly upstreamPort: number
  readonly cert: { readonly certFile: string; readonly keyFile: string }
  /** Changes with every edit: the response header `x-edit` and a direct-response route `/edit-<n>`. */
  readonly edit?: number
  /** Adds an HTTP server on gateway port 9090. */
  readonly extraPort?: boolean
}

/**
 * The config: port 80 (HTTP/1.1), 8080 (HTTP2: h2c too), 443 (HTTPS, h2 and http/1.1); `/stall`
 * has a 100 ms route timeout; upstream connections idle for 1 s are closed.
 */
export function soakYaml(o: SoakYamlOptions): string {
  const edit = o.edit ?? 0
  const extra = o.extraPort
    ? `
  - port: { number: 9090, name: extra, protocol: HTTP }
    hosts: ["*"]`
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
    hosts: ["*"]
  - port: { number: 443, name: https, protocol: HTTPS }
    hosts: [${SOAK_HOST}]
    tls: { mode: SIMPLE, serverCertificate: ${o.cert.certFile}, privateKey: ${o.cert.keyFile} }${extra}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: soak }
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match: [{ uri: { prefix: /stall } }]
    timeout: 100ms
    route: [{ destination: { host: upstream, port: { number: 8000 } } }]
  - match: [{ uri: { prefix: /edit-${edit} } }]
    directResponse: { status: 200, body: { string: "edit ${edit}" } }
  - headers: { response: { set: { x-edit: "${edit}" } } }
    route: [{ destination: { host: upstream, port: { number: 8000 } } }]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: upstream }
spec:
  hosts: [upstream.default.svc.cluster.local]
  ports: [{ number: 8000, name: http, protocol: HTTP }]
  resolution: STATIC
  endpoints:
  - address: 127.0.0.1
    ports: { http: ${o.upstreamPort} }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: upstream }
spec:
  host: upstream.default.svc.cluster.local
  trafficPolicy:
    connectionPool:
      http: { idleTimeout: 1s }
`
}

/** Kinds of traffic in the mix. */
export const KINDS = [
  'h1',
  'h2c',
  'https',
  'malformed',
  'oversized',
  'cutBody',
  'vanish',
  'h2Reset',
  'tlsAbandon',
  'upstreamReset',
  'upstreamStall',
] as const

/** One kind of traffic. */
export type Kind = (typeof KINDS)[number]

/** How many of each kind. */
export type MixCounts = Readonly<Record<Kind, number>>

/** The mix of the leak test: 51,000 requests, four in five of them good. */
export const LEAK_MIX: MixCounts = {
  h1: 25_000,
  h2c: 10_000,
  https: 5_000,
  malformed: 2_000,
  oversized: 1_000,
  cutBody: 1_500,
  vanish: 1_500,
  h2Reset: 2_000,
  tlsAbandon: 1_000,
  upstreamReset: 1_000,
  upstreamStall: 1_000,
}

/** The same proportions scaled to `total` requests. */
export function scaleMix(mix: MixCounts, total: number): MixCounts {
  const sum = Object.values(mix).reduce((a, b) => a + b, 0)
  const out = {} as Record<Kind, number>
  for (const kind of KINDS) out[kind] = Math.max(1, Math.round((mix[kind] * total) / sum))
  // Rounding differences go to the plain HTTP/1.1 requests, so the total is exact.
  out.h1 += total - Object.values(out).reduce((a, b) => a + b, 0)
  return out
}

/** What came back, by kind and outcome (`200`, `400`, `closed`, `error:ECONNRESET` …). */
export type Tally = Record<string, Record<string, number>>

/** Good requests answered with something else than 200, with the kind and answer. */
export function failures(tally: Tally): string[] {
  const out: string[] = []
  for (const kind of ['h1', 'h2c', 'https']) {
    for (const [answer, count] of Object.entries(tally[kind] ?? {})) {
      if (answer !== '200') out.push(`${kind} ${answer} ×${count}`)
    }
  }
  return out
}

/** A deterministic pseudo-random sequence (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The kinds of a mix in a seeded shuffled order. */
export function schedule(mix: MixCounts, seed: number): Kind[] {
  const list: Kind[] = []
  for (const kind of KINDS) for (let i = 0; i < mix[kind]; i++) list.push(kind)
  const next = random(seed)
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[list[i], list[j]] = [list[j]!, list[i]!]
  }
  return list
}

/** The clients of one run: keep-alive agents and HTTP/2 sessions, closed together. */
export class Clients {
  readonly #ports: { http: number; h2c: number; https: number }
  readonly #h1 = new HttpAgent({ keepAlive: true, maxSockets: 32 })
  readonly #tls = new HttpsAgent({ keepAlive: true, maxSockets: 8, rejectUnauthorized: false })
  #h2c: ClientHttp2Session | undefined
  #h2r: ClientHttp2Session | undefined
  /** Latencies (ms) of good requests since the last `takeLatencies()`. */
  #latencies: number[] = []

  constructor(ports: { http: number; h2c: number; https: number }) {
    this.#ports = ports
  }

  /** Latencies of good requests since the last call. */
  takeLatencies(): number[] {
    const out = this.#latencies
    this.#latencies = []
    return out
  }

  #session(): ClientHttp2Session {
    if (this.#h2c === undefined || this.#h2c.closed || this.#h2c.destroyed) this.#h2c = this.#connectH2()
    return this.#h2c
  }

  // Early resets go on a connection of their own: nghttp2 answers a burst of them with GOAWAY
  // (its rapid-reset guard), which ends every stream of that connection, good ones included.
  #resetSession(): ClientHttp2Session {
    if (this.#h2r === undefined || this.#h2r.closed || this.#h2r.destroyed) this.#h2r = this.#connectH2()
    return this.#h2r
  }

  #connectH2(): ClientHttp2Session {
    const session = http2Connect(`http://127.0.0.1:${this.#ports.h2c}`)
    session.on('error', () => {})
    return session
  }

  /** Runs one request of `kind`; resolves with its outcome, never rejects. */
  run(kind: Kind): Promise<string> {
    switch (kind) {
      case 'h1':
        return this.#timed(this.#http(this.#ports.http, '/ok', this.#h1))
      case 'https':
        return this.#timed(this.#http(this.#ports.https, '/ok', this.#tls, true))
      case 'h2c':
        return this.#timed(this.#h2('/ok'))
      case 'upstreamReset':
        return this.#http(this.#ports.http, '/reset', this.#h1)
      case 'upstreamStall':
        return this.#http(this.#ports.http, '/stall', this.#h1)
      case 'malformed':
        return this.#raw('GET /ok HTTP/1.1\r\nHost: soak\r\nBad Header Line\r\n\r\n')
      case 'oversized':
        return this.#raw(`GET /ok HTTP/1.1\r\nHost: soak\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
      case 'cutBody':
        return this.#raw(
          `POST /ok HTTP/1.1\r\nHost: soak\r\nContent-Length: 10000\r\n\r\n${'b'.repeat(100)}`,
          'cut',
        )
      case 'vanish':
        return this.#raw('GET /stream HTTP/1.1\r\nHost: soak\r\n\r\n', 'first-byte')
      case 'h2Reset':
        return this.#h2Reset()
      case 'tlsAbandon':
        return this.#tlsAbandon()
    }
  }

  async #timed(run: Promise<string>): Promise<string> {
    const start = performance.now()
    const outcome = await run
    this.#latencies.push(performance.now() - start)
    return outcome
  }

  #http(port: number, path: string, agent: HttpAgent, tls = false): Promise<string> {
    return new Promise((resolve) => {
      const options = { host: '127.0.0.1', port, path, agent, headers: { host: tls ? SOAK_HOST : 'soak' } }
      const req = tls
        ? httpsRequest({ ...options, servername: SOAK_HOST, agent: agent as HttpsAgent })
        : httpRequest(options)
      req.setTimeout(10_000, () => req.destroy(new Error('client timeout')))
      req.on('response', (res) => {
        res.resume()
        res.on('end', () => resolve(String(res.statusCode)))
        res.on('error', (e: NodeJS.ErrnoException) => resolve(`error:${e.code ?? e.message}`))
      })
      req.on('error', (e: NodeJS.ErrnoException) => resolve(`error:${e.code ?? e.message}`))
      req.end()
    })
  }

  #h2(path: string): Promise<string> {
    return new Promise((resolve) => {
      let req: ReturnType<ClientHttp2Session['request']>
      try {
        req = this.#session().request({ ':path': path, ':authority': 'soak' })
      } catch (e) {
        return resolve(`error:${(e as NodeJS.ErrnoException).code}`)
      }
      let status = 0
      req.setTimeout(10_000, () => req.close(constants.NGHTTP2_CANCEL))
      req.on('response', (h) => {
        status = Number(h[':status'])
      })
      req.on('error', (e: NodeJS.ErrnoException) => resolve(`error:${e.code ?? e.message}`))
      req.on('close', () => resolve(status === 0 ? `error:${req.rstCode}` : String(status)))
      req.resume()
    })
  }

  #h2Reset(): Promise<string> {
    return new Promise((resolve) => {
      let req: ReturnType<ClientHttp2Session['request']>
      try {
        req = this.#resetSession().request({ ':path': '/stream', ':authority': 'soak' })
      } catch (e) {
        return resolve(`error:${(e as NodeJS.ErrnoException).code}`)
      }
      req.on('error', () => {})
      req.on('close', () => resolve('reset'))
      // Half right after the request, half once the answer has started.
      if (Math.random() < 0.5) req.close(constants.NGHTTP2_CANCEL)
      else req.once('data', () => req.close(constants.NGHTTP2_CANCEL))
      req.resume()
    })
  }

  /** Raw HTTP/1.1 bytes; `cut` closes right after writing, `first-byte` on the first answer byte. */
  #raw(bytes: string, mode?: 'cut' | 'first-byte'): Promise<string> {
    return new Promise((resolve) => {
      const socket = netConnect(this.#ports.http, '127.0.0.1')
      let answer = ''
      const timer = setTimeout(() => socket.destroy(), 10_000)
      socket.on('error', () => {})
      socket.once('connect', () => {
        socket.write(bytes)
        if (mode === 'cut') setTimeout(() => socket.destroy(), 2)
      })
      socket.on('data', (chunk: Buffer) => {
        if (answer === '') answer = chunk.subarray(9, 12).toString('latin1')
        if (mode === 'first-byte') socket.destroy()
      })
      socket.once('close', () => {
        clearTimeout(timer)
        resolve(answer === '' ? 'closed' : answer)
      })
    })
  }

  /** A TLS handshake abandoned: half after a partial ClientHello, half right after connecting. */
  #tlsAbandon(): Promise<string> {
    return new Promise((resolve) => {
      if (Math.random() < 0.5) {
        const socket = netConnect(this.#ports.https, '127.0.0.1')
        socket.on('error', () => {})
        socket.once('connect', () => {
          socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]))
          setTimeout(() => socket.destroy(), 2)
        })
        socket.once('close', () => resolve('abandoned'))
        return
      }
      const socket = tlsConnect({
        host: '127.0.0.1',
        port: this.#ports.https,
        servername: SOAK_HOST,
        rejectUnauthorized: false,
      })
      socket.on('error', () => {})
      socket.once('connect', () => socket.destroy())
      socket.once('close', () => resolve('abandoned'))
    })
  }

  /** Closes every client connection. */
  close(): void {
    this.#h1.destroy()
    this.#tls.destroy()
    this.#h2c?.destroy()
    this.#h2c = undefined
    this.#h2r?.destroy()
    this.#h2r = undefined
  }
}

function count(tally: Tally, kind: Kind, outcome: string): void {
  const row = tally[kind] ?? {}
  tally[kind] = row
  row[outcome] = (row[outcome] ?? 0) + 1
}

/** Runs `kinds` with `concurrency` requests at a time; returns the tally. */
export async function runKinds(
  clients: Clients,
  kinds: readonly Kind[],
  concurrency: number,
): Promise<Tally> {
  const tally: Tally = {}
  let next = 0
  const worker = async () => {
    while (next < kinds.length) {
      const kind = kinds[next++]!
      const outcome = await clients.run(kind)
      count(tally, kind, outcome)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return tally
}

/** Runs good requests (h1, h2c, https in turn) until `stop()`; the tally fills as they finish. */
export function steadyLoad(clients: Clients, concurrency: number): { tally: Tally; stop(): Promise<void> } {
  const tally: Tally = {}
  let running = true
  const good: Kind[] = ['h1', 'h2c', 'https', 'h1']
  const worker = async (w: number) => {
    for (let i = w; running; i++) {
      const kind = good[i % good.length]!
      const outcome = await clients.run(kind)
      count(tally, kind, outcome)
    }
  }
  const workers = Array.from({ length: concurrency }, (_, w) => worker(w))
  return {
    tally,
    async stop() {
      running = false
      await Promise.all(workers)
    },
  }
}

/**
 * Lets the gateway settle: polls the file descriptors and handles every 100 ms until they equal
 * `target`'s (any value without a target) and have stayed the same for 2 s, so that connections
 * still closing are not counted as leaks; then measures after garbage collection and returns that
 * measure if its descriptors and handles are still the same (else polls on). Gives up after
 * `timeoutMs` and returns a last measure. Only the final measure collects garbage: four forced
 * collections at every poll cost the child more CPU than the traffic of a few thousand requests.
 */
export async function settle(
  gateway: ChildGateway,
  target: Measure | undefined,
  timeoutMs: number,
): Promise<Measure> {
  const deadline = Date.now() + timeoutMs
  const same = (a: Pick<Measure, 'fds' | 'handles'>, b: Pick<Measure, 'fds' | 'handles'>) =>
    a.fds === b.fds && handleCount(a) === handleCount(b)
  let last = await gateway.count()
  let stableSince = Date.now()
  for (;;) {
    await new Promise((r) => setTimeout(r, 100))
    const now = await gateway.count()
    if (!same(now, last)) stableSince = Date.now()
    last = now
    const reached = target === undefined || same(now, target)
    if (Date.now() > deadline) return gateway.measure()
    if (reached && Date.now() - stableSince >= 2_000) {
      const measured = await gateway.measure()
      if (same(measured, now)) return measured
      stableSince = Date.now()
    }
  }
}

/** `a` relative to `b`, as a signed percentage with one decimal. */
export function percent(a: number, b: number): string {
  const p = ((a - b) / b) * 100
  return `${p >= 0 ? '+' : ''}${p.toFixed(1)} %`
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

/** The p-th percentile (0..100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

/**
 * The TCP sockets a process holds, as `local→remote state` with ports named by `names` (for the
 * message of a failed settle: which connections were left open).
 */
export function socketsOf(pid: number, names: Readonly<Record<string, number>>): string[] {
  const inodes = new Set<string>()
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (match) inodes.add(match[1]!)
    } catch {
      // Closed meanwhile.
    }
  }
  const byPort = new Map(Object.entries(names).map(([name, port]) => [port, name]))
  const out: string[] = []
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 10 || !inodes.has(cols[9]!)) continue
      const port = (address: string) => Number.parseInt(address.split(':').at(-1)!, 16)
      const local = port(cols[1]!)
      const remote = port(cols[2]!)
      out.push(`${byPort.get(local) ?? local}→${byPort.get(remote) ?? remote} ${cols[3]}`)
    }
  }
  return out.sort()
}

/** Baseline and after, one resource a line (what the tests print and docs/security.md quotes). */
export function compare(title: string, before: Measure, after: Measure): string {
  return (
    `${title}\n` +
    `  rss        ${mib(before.rss)} → ${mib(after.rss)} (${percent(after.rss, before.rss)})\n` +
    `  heap (gc)  ${mib(before.heapUsed)} → ${mib(after.heapUsed)} (${percent(after.heapUsed, before.heapUsed)})\n` +
    `  fds        ${before.fds} → ${after.fds}\n` +
    `  handles    ${handleCount(before)} → ${handleCount(after)} ${JSON.stringify(after.handles)}`
  )
}

/** A soak setup: the upstream, the certificate and the child gateway serving {@link soakYaml}. */
export interface Soak {
  readonly upstream: Upstream
  readonly gateway: ChildGateway
  readonly cert: ReturnType<typeof soakCertificate>
  /** The base options of {@link soakYaml}. */
  readonly yaml: { readonly upstreamPort: number; readonly cert: { certFile: string; keyFile: string } }
  /** Where ports 80, 8080 and 443 listen now. */
  ports(): { http: number; h2c: number; https: number }
  /** Those ports and the upstream's, named for {@link socketsOf}. */
  names(): Record<string, number>
  close(): Promise<void>
}

/** Starts the upstream and the child gateway. */
export async function startSoak(): Promise<Soak> {
  const upstream = await startSoakUpstream()
  const cert = soakCertificate()
  const yaml = { upstreamPort: upstream.port, cert }
  const gateway = await startChildGateway(soakYaml(yaml), { 80: 0, 443: 0, 8080: 0 })
  const ports = () => ({
    http: gateway.addresses[80]!.port,
    h2c: gateway.addresses[8080]!.port,
    https: gateway.addresses[443]!.port,
  })
  return {
    upstream,
    gateway,
    cert,
    yaml,
    ports,
    names: () => ({ ...ports(), upstream: upstream.port }),
    async close() {
      await gateway.close()
      await upstream.close()
    },
  }
}
