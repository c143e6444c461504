import { Agent, createServer, type Server } from 'node:http'
import { connect as h2connect } from 'node:http2'
import type { AddressInfo, Socket } from 'node:net'
import { parseResources } from '@portico/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AdminServer, startAdmin } from '../admin/admin.js'
import { createManagedGateway, type ManagedGateway } from '../admin/managed.js'
import { createGateway } from '../gateway.js'
import { http1, type Reply } from '../test/config.js'
import { eventually } from '../test/hostile.js'
import { serviceYaml } from '../test/service.js'

/**
 * The overload guard over real sockets. Capacity is made small on purpose: the upstream (in this
 * process, so on the gateway's event loop) spends 8 ms of CPU on every request, so 64 clients
 * asking back to back keep the loop blocked for about half a second per turn, far past the
 * 100 ms threshold. What is asserted is behaviour, never
 * speed: shedding happens, shed requests get 503 + Connection: close and never reach the upstream,
 * the admin endpoint answers every probe, and afterwards requests are served again.
 */

/** Spends `ms` of CPU on this thread: the work a busy gateway process cannot hand off. */
function burn(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // busy
  }
}

const get = (port: number, path: string, agent?: Agent) =>
  http1(port, path, { host: 'svc.example.com', ...(agent === undefined ? {} : { agent }) })

describe('overload guard (Envoy overload manager: stop accepting requests)', () => {
  let upstream: Server
  let upstreamSeen = 0
  let gw: ManagedGateway
  let admin: AdminServer
  let port: number
  const sockets = new Set<Socket>()
  beforeAll(async () => {
    upstream = createServer((_req, res) => {
      upstreamSeen++
      burn(8)
      res.writeHead(200, { 'content-length': '2' })
      res.end('ok')
    })
    upstream.on('connection', (s: Socket) => {
      sockets.add(s)
      s.once('close', () => sockets.delete(s))
    })
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
    const { resources } = parseResources(
      serviceYaml('svc', (upstream.address() as AddressInfo).port),
      'overload.yaml',
    )
    gw = await createManagedGateway({
      resources,
      ports: { 80: 0, 8080: 0 },
      drainTimeoutMs: 200,
      overload: { maxEventLoopDelayMs: 100, intervalMs: 100 },
    })
    admin = await startAdmin(gw, { port: 0 })
    port = gw.addresses[80]!.port
  })
  afterAll(async () => {
    await admin.close()
    await gw.close()
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => upstream.close(() => resolve()))
  })

  it('sheds with 503 and Connection: close past the threshold, keeps the admin endpoint answering, and recovers', async () => {
    const adminPort = admin.address.port
    expect((await get(port, '/')).status).toBe(200)
    const heapBefore = process.memoryUsage().heapUsed

    // Over capacity, for a bounded amount of work: 64 clients until 100 requests were shed (or a
    // cap of 3000 requests, which the assertions below would then report).
    const agent = new Agent({ keepAlive: true, maxSockets: 64 })
    const answers: Reply[] = []
    let shed = 0
    let sent = 0
    const probes: number[] = []
    let loading = true
    const prober = (async () => {
      while (loading) {
        probes.push((await http1(adminPort, '/ready', { host: '127.0.0.1' })).status)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    })()
    const client = async () => {
      while (shed < 100 && sent < 3000) {
        sent++
        const answer = await get(port, '/', agent)
        answers.push(answer)
        if (answer.status === 503) shed++
      }
    }
    await Promise.all(Array.from({ length: 64 }, client))
    loading = false
    await prober
    agent.destroy()

    const shedAnswers = answers.filter((a) => a.status === 503)
    const served = answers.filter((a) => a.status === 200)
    expect(shedAnswers.length).toBeGreaterThanOrEqual(100)
    expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true)
    for (const a of shedAnswers) expect([a.headers.connection, a.body]).toEqual(['close', 'envoy overloaded'])
    // Shed requests never reached the upstream: it saw the served ones (and the first check).
    expect(upstreamSeen).toBe(served.length + 1)
    // The admin endpoint answered every probe throughout.
    expect(probes.length).toBeGreaterThan(0)
    expect(probes.every((s) => s === 200)).toBe(true)

    // Back to normal load: the guard stops shedding and requests are served again (20 in a row;
    // a stall of the whole machine may still trip the guard once, hence the streak).
    expect(await eventually(() => gw.overload?.active === false, 5000)).toBe(true)
    let streak = 0
    for (let i = 0; i < 200 && streak < 20; i++) {
      const answer = await get(port, '/')
      streak = answer.status === 200 ? streak + 1 : 0
    }
    expect(streak).toBe(20)
    const shedTotal = gw.overload?.shed ?? 0

    const metrics = (await http1(adminPort, '/stats/prometheus', { host: '127.0.0.1' })).body
    expect(shedTotal).toBeGreaterThanOrEqual(shedAnswers.length)
    expect(metrics).toMatch(new RegExp(`^portico_overload_shed_total ${shedTotal}$`, 'm'))
    expect(metrics).toMatch(/^portico_overload_active 0$/m)
    expect(metrics).toMatch(/^portico_overload_episodes_total [1-9]\d*$/m)
    expect(metrics).toMatch(/response_flags="OM"/)
    // Memory stayed bounded: the shed load left no lasting growth beyond a generous margin.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024)
  }, 60_000)

  it('past maxHeapBytes every new request is shed, over HTTP/2 with a GOAWAY instead of Connection: close', async () => {
    const { resources } = parseResources(
      serviceYaml('svc', (upstream.address() as AddressInfo).port),
      'overload.yaml',
    )
    const tiny = await createGateway({
      config: { resources },
      ports: { 80: 0, 8080: 0 },
      drainTimeoutMs: 200,
      // Any process uses more than one byte: the guard trips on its first measurement.
      overload: { maxHeapBytes: 1, intervalMs: 20 },
    })
    try {
      const tinyPort = tiny.addresses[80]!.port
      expect(await eventually(() => tiny.overload?.active === true)).toBe(true)
      const seen = upstreamSeen
      const h1 = await get(tinyPort, '/')
      expect([h1.status, h1.headers.connection, h1.body]).toEqual([503, 'close', 'envoy overloaded'])
      const session = h2connect(`http://127.0.0.1:${tiny.addresses[8080]!.port}`)
      session.on('error', () => {})
      const goaway = new Promise<boolean>((resolve) => {
        session.once('goaway', () => resolve(true))
        session.once('close', () => resolve(false))
      })
      const h2 = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const stream = session.request({ ':path': '/', ':authority': 'svc.example.com' })
        let status = 0
        let body = ''
        stream.on('response', (headers) => {
          status = Number(headers[':status'])
        })
        stream.setEncoding('utf8')
        stream.on('data', (chunk: string) => {
          body += chunk
        })
        stream.on('end', () => resolve({ status, body }))
        stream.on('error', reject)
      })
      expect(h2).toEqual({ status: 503, body: 'envoy overloaded' })
      expect(await goaway).toBe(true)
      session.destroy()
      expect(upstreamSeen).toBe(seen)
      expect(tiny.overload?.shed).toBe(2)
    } finally {
      await tiny.close()
    }
  })
})
