import { request } from '@portico/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { gatewayYaml, parsePrometheus, seedYaml, sum } from '../test/admin.js'
import { http1, startUpstream, type Upstream } from '../test/config.js'
import { type AdminServer, startAdmin } from './admin.js'
import { createManagedGateway, type ManagedGateway } from './managed.js'
import { type AdminChange, type AdminPeers, applyChange, type PeerMetrics } from './peers.js'

/** One request to an admin endpoint. */
async function call(
  port: number,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; body: string }> {
  const answer = await request(port, {
    url: `http://127.0.0.1:${port}${path}`,
    method,
    ...(body === undefined ? {} : { body }),
  })
  return { status: answer.status, body: answer.body.toString('utf8') }
}

let upstream: Upstream
let gw: ManagedGateway
let peer: ManagedGateway
let admin: AdminServer | undefined
const passed: AdminChange[] = []

/** Peers backed by a second managed gateway in this process. */
function peersOf(other: ManagedGateway, metrics?: () => Promise<PeerMetrics>): AdminPeers {
  return {
    metrics: metrics ?? (async () => ({ snapshots: [other.metrics.snapshot()], missing: [] })),
    async change(change) {
      passed.push(change)
      return [{ peer: '2', outcome: await applyChange(other, change) }]
    },
  }
}

beforeEach(async () => {
  passed.length = 0
  upstream = await startUpstream('httpbin')
  gw = await createManagedGateway({ ports: { 80: 0 } })
  peer = await createManagedGateway({ ports: { 80: 0 } })
})
afterEach(async () => {
  await admin?.close()
  admin = undefined
  await gw.close()
  await peer.close()
  await upstream.close()
})

describe('admin endpoint with peers', () => {
  it('sums the requests of every process in one scrape and says how many reported', async () => {
    admin = await startAdmin(gw, { port: 0, peers: peersOf(peer) })
    expect((await call(admin.address.port, 'POST', '/config', seedYaml(upstream.port))).status).toBe(200)
    for (let i = 0; i < 3; i++) expect((await http1(gw.addresses[80]!.port, '/status/200')).status).toBe(200)
    for (let i = 0; i < 4; i++)
      expect((await http1(peer.addresses[80]!.port, '/status/200')).status).toBe(200)
    await new Promise((r) => setTimeout(r, 50))
    const scrape = await call(admin.address.port, 'GET', '/stats/prometheus')
    const { samples, types } = parsePrometheus(scrape.body)
    expect(sum(samples, 'istio_requests_total', { response_code: '200' })).toBe(7)
    expect(sum(samples, 'istio_request_duration_milliseconds_count')).toBe(7)
    expect(sum(samples, 'istio_request_duration_milliseconds_bucket', { le: '+Inf' })).toBe(7)
    expect(types.get('istio_request_duration_milliseconds')).toBe('histogram')
    expect(sum(samples, 'portico_workers')).toBe(2)
    expect(sum(samples, 'portico_workers_reporting')).toBe(2)
    // Both took the one change: one version, one accepted change.
    expect(sum(samples, 'portico_config_version')).toBe(gw.version)
    expect(sum(samples, 'portico_config_changes_total', { result: 'accepted' })).toBe(1)
    // Each process's own figures are only this one's without peers.
    const alone = parsePrometheus(gw.metrics.render()).samples
    expect(sum(alone, 'istio_requests_total')).toBe(3)
  })

  it('reports what it has when a peer does not answer, and says so', async () => {
    admin = await startAdmin(gw, {
      port: 0,
      peers: peersOf(peer, async () => ({ snapshots: [], missing: ['2'] })),
    })
    const scrape = await call(admin.address.port, 'GET', '/stats/prometheus')
    expect(scrape.status).toBe(200)
    expect(scrape.body).toMatch(/^# portico: no figures from worker 2 in time/m)
    const { samples } = parsePrometheus(scrape.body)
    expect(sum(samples, 'portico_workers')).toBe(2)
    expect(sum(samples, 'portico_workers_reporting')).toBe(1)
  })

  it('passes an accepted change to the peers, which then serve it too', async () => {
    admin = await startAdmin(gw, { port: 0, peers: peersOf(peer) })
    const created = await call(admin.address.port, 'POST', '/config?file=seed.yaml', seedYaml(upstream.port))
    expect(created.status).toBe(200)
    expect(passed).toEqual([{ operation: 'create', body: seedYaml(upstream.port), file: 'seed.yaml' }])
    expect((await http1(peer.addresses[80]!.port, '/status/200')).status).toBe(200)
    expect(peer.version).toBe(gw.version)
    const deleted = await call(
      admin.address.port,
      'DELETE',
      '/config/virtualservice/httpbin?namespace=default',
    )
    expect(deleted.status).toBe(200)
    expect(passed[1]).toEqual({
      operation: 'delete',
      key: { kind: 'virtualservice', name: 'httpbin', namespace: 'default' },
    })
    expect((await http1(peer.addresses[80]!.port, '/status/200')).status).toBe(404)
  })

  it('does not pass on a change it refuses', async () => {
    admin = await startAdmin(gw, { port: 0, peers: peersOf(peer) })
    const refused = await call(admin.address.port, 'POST', '/config', 'kind: Gateway\nmetadata: {}\n')
    expect(refused.status).toBe(422)
    expect(passed).toEqual([])
  })

  it('answers 500 with PTC4213 when a peer does not take a change this process accepted', async () => {
    admin = await startAdmin(gw, { port: 0, peers: peersOf(peer) })
    // The peer already has the Gateway, so its `create` is refused while this one's is accepted.
    expect((await peer.create(gatewayYaml(['http']))).ok).toBe(true)
    const answer = await call(admin.address.port, 'POST', '/config', gatewayYaml(['http']))
    expect(answer.status).toBe(500)
    const outcome = JSON.parse(answer.body) as {
      ok: boolean
      diagnostics: { code: string; message: string }[]
    }
    expect(outcome.ok).toBe(false)
    const diverged = outcome.diagnostics.find((d) => d.code === 'PTC4213')
    expect(diverged?.message).toMatch(/worker 2 .*PTC4200/)
  })
})
