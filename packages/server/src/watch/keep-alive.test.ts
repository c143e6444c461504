/**
 * Accepted config changes leave connections alone (as Istio's route updates do): an idle
 * keep-alive HTTPS connection survives an unrelated VirtualService edit, a rewrite that changes
 * nothing and a certificate rotation, all through `--watch` on real files; the next handshake
 * gets the rotated certificate.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs'
import { connect as http2Connect } from 'node:http2'
import { connect as netConnect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { loadResources } from '@portico/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManagedGateway, type ManagedGateway } from '../admin/managed.js'
import {
  fingerprintOf,
  gatewayYaml,
  servedFingerprint,
  serviceEntryYaml,
  virtualServiceYaml,
} from '../test/admin.js'
import { selfSigned, startUpstream, type Upstream } from '../test/config.js'
import { type ConfigWatcher, type WatchReport, watchConfig } from './watch.js'

/** One keep-alive HTTP/1.1 connection (TLS or clear) that asks one request at a time. */
class KeepAlive {
  closed = false
  readonly #socket: Socket
  #buffer = Buffer.alloc(0)
  #waiting: (() => void) | undefined

  private constructor(socket: Socket) {
    this.#socket = socket
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk])
      this.#waiting?.()
    })
    socket.once('close', () => {
      this.closed = true
      this.#waiting?.()
    })
  }

  static open(port: number, tls: boolean): Promise<KeepAlive> {
    return new Promise((resolve, reject) => {
      const socket = tls
        ? tlsConnect({
            host: '127.0.0.1',
            port,
            servername: 'httpbin.example.com',
            ALPNProtocols: ['http/1.1'],
            rejectUnauthorized: false,
          })
        : netConnect(port, '127.0.0.1')
      socket.once(tls ? 'secureConnect' : 'connect', () => resolve(new KeepAlive(socket)))
      socket.once('error', reject)
    })
  }

  /** The status of `GET path` on this connection, or 0 when the connection closed instead. */
  async get(path: string): Promise<number> {
    this.#socket.write(`GET ${path} HTTP/1.1\r\nHost: httpbin.example.com\r\n\r\n`)
    for (;;) {
      const length = this.#complete()
      if (length > 0) {
        const status = Number(this.#buffer.subarray(9, 12).toString('latin1'))
        this.#buffer = this.#buffer.subarray(length)
        return status
      }
      if (this.closed) return 0
      await new Promise<void>((resolve) => {
        this.#waiting = resolve
      })
    }
  }

  /** Bytes of the first complete response in the buffer (Content-Length or chunked), 0 if none yet. */
  #complete(): number {
    const buffer = this.#buffer
    const end = buffer.indexOf('\r\n\r\n')
    if (end < 0) return 0
    const head = buffer.subarray(0, end).toString('latin1')
    let at = end + 4
    if (!/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0)
      return buffer.length >= at + length ? at + length : 0
    }
    for (;;) {
      const line = buffer.indexOf('\r\n', at)
      if (line < 0) return 0
      const size = Number.parseInt(buffer.subarray(at, line).toString('latin1'), 16)
      if (size === 0) return buffer.length >= line + 4 ? line + 4 : 0
      at = line + 2 + size + 2
      if (buffer.length < at) return 0
    }
  }

  close(): void {
    this.#socket.destroy()
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

describe('config changes keep connections', () => {
  let upstream: Upstream
  let gateway: ManagedGateway
  let watcher: ConfigWatcher
  let dir: string
  const reports: WatchReport[] = []
  const live = selfSigned(['httpbin.example.com'])

  /** Waits for the watcher's next report after `action`. */
  async function round(action: () => void): Promise<WatchReport> {
    const seen = reports.length
    action()
    const deadline = Date.now() + 5_000
    while (reports.length === seen) {
      if (Date.now() > deadline) throw new Error('the watcher did not report within 5 s')
      await sleep(20)
    }
    return reports.at(-1)!
  }

  beforeAll(async () => {
    upstream = await startUpstream('httpbin')
    dir = mkdtempSync(join(tmpdir(), 'portico-keep-alive-'))
    writeFileSync(join(dir, 'gateway.yaml'), gatewayYaml(['http', 'https'], live))
    writeFileSync(join(dir, 'vs.yaml'), virtualServiceYaml())
    writeFileSync(join(dir, 'se.yaml'), serviceEntryYaml(upstream.port))
    const loaded = await loadResources([dir])
    gateway = await createManagedGateway({ resources: loaded.resources, ports: { 80: 0, 443: 0 } })
    watcher = watchConfig({
      gateway,
      paths: [dir],
      intervalMs: 30,
      debounceMs: 30,
      onReport: (r) => reports.push(r),
    })
    await watcher.ready
  })
  afterAll(async () => {
    watcher.close()
    await gateway.close()
    await upstream.close()
  })

  it('an idle keep-alive HTTPS connection survives an unrelated VirtualService edit, a no-op rewrite and a certificate rotation; port 80 too', async () => {
    const https = await KeepAlive.open(gateway.addresses[443]!.port, true)
    const http = await KeepAlive.open(gateway.addresses[80]!.port, false)
    expect(await https.get('/status/200')).toBe(200)
    expect(await http.get('/status/200')).toBe(200)
    expect(await https.get('/anything')).toBe(404)

    // An unrelated VirtualService edit: the idle connection is kept and routes by the new config.
    const edit = await round(() =>
      writeFileSync(join(dir, 'vs.yaml'), virtualServiceYaml(['/status', '/delay', '/anything'])),
    )
    expect(edit).toMatchObject({ trigger: 'config', ok: true })
    await sleep(400)
    expect(https.closed).toBe(false)
    expect(await https.get('/anything')).toBe(200)
    expect(await http.get('/anything')).toBe(200)

    // A rewrite that changes nothing.
    const version = gateway.version
    const noop = await round(() =>
      writeFileSync(join(dir, 'vs.yaml'), virtualServiceYaml(['/status', '/delay', '/anything'])),
    )
    expect(noop.ok).toBe(true)
    expect(gateway.version).toBe(version)
    await sleep(400)
    expect(https.closed).toBe(false)
    expect(await https.get('/status/201')).toBe(201)

    // A certificate rotation on disk: the connection stays, the next handshake gets the new one.
    const next = selfSigned(['httpbin.example.com'])
    const port = gateway.addresses[443]!.port
    expect(await servedFingerprint(port, 'httpbin.example.com')).toBe(fingerprintOf(live.cert))
    await round(() => {
      copyFileSync(next.keyFile, live.keyFile)
      copyFileSync(next.certFile, live.certFile)
    })
    const deadline = Date.now() + 5_000
    while ((await servedFingerprint(port, 'httpbin.example.com')) !== fingerprintOf(next.cert)) {
      expect(Date.now()).toBeLessThan(deadline)
      await sleep(30)
    }
    await sleep(400)
    expect(https.closed).toBe(false)
    expect(await https.get('/status/202')).toBe(202)
    expect(http.closed).toBe(false)
    expect(await http.get('/status/203')).toBe(203)
    expect(gateway.addresses[443]!.port).toBe(port)
    https.close()
    http.close()
  })

  it('an HTTP/2 connection over TLS survives a VirtualService edit and a reload', async () => {
    const session = http2Connect(`https://127.0.0.1:${gateway.addresses[443]!.port}`, {
      servername: 'httpbin.example.com',
      rejectUnauthorized: false,
    })
    session.on('error', () => {})
    const get = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = session.request({ ':path': path, ':authority': 'httpbin.example.com' })
        req.on('response', (h) => resolve(Number(h[':status'])))
        req.on('error', reject)
        req.resume()
      })
    expect(await get('/status/200')).toBe(200)
    const edit = await round(() => writeFileSync(join(dir, 'vs.yaml'), virtualServiceYaml(['/status'])))
    expect(edit.ok).toBe(true)
    expect((await gateway.reload()).ok).toBe(true)
    await sleep(300)
    expect(session.closed || session.destroyed).toBe(false)
    expect(await get('/anything')).toBe(404)
    expect(await get('/status/204')).toBe(204)
    session.destroy()
  })

  it('updating a gateway with the config it serves changes nothing', async () => {
    const before = gateway.config
    const https = await KeepAlive.open(gateway.addresses[443]!.port, true)
    expect(await https.get('/status/200')).toBe(200)
    await gateway.update(gateway.config)
    expect(gateway.config).toBe(before)
    await sleep(300)
    expect(https.closed).toBe(false)
    expect(await https.get('/status/200')).toBe(200)
    https.close()
  })
})

describe('keep-alive timeout over TLS', () => {
  it('an idle HTTP/1.1 keep-alive connection over TLS is closed after keepAliveTimeoutMs, as in clear', async () => {
    const upstream = await startUpstream('httpbin')
    const cert = selfSigned(['httpbin.example.com'])
    const dir = mkdtempSync(join(tmpdir(), 'portico-keep-alive-'))
    writeFileSync(
      join(dir, 'all.yaml'),
      `${gatewayYaml(['http', 'https'], cert)}---\n${virtualServiceYaml()}---\n${serviceEntryYaml(upstream.port)}`,
    )
    const loaded = await loadResources([dir])
    const gateway = await createManagedGateway({
      resources: loaded.resources,
      ports: { 80: 0, 443: 0 },
      limits: { keepAliveTimeoutMs: 300 },
    })
    try {
      for (const tls of [true, false]) {
        const connection = await KeepAlive.open(gateway.addresses[tls ? 443 : 80]!.port, tls)
        expect(await connection.get('/status/200')).toBe(200)
        const idleSince = Date.now()
        const deadline = idleSince + 3_000
        while (!connection.closed && Date.now() < deadline) await sleep(20)
        expect(connection.closed).toBe(true)
        expect(Date.now() - idleSince).toBeGreaterThanOrEqual(250)
      }
    } finally {
      await gateway.close()
      await upstream.close()
    }
  })
})
