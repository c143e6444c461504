import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { afterEach, describe, expect, it } from 'vitest'
import { createManagedGateway, type ManagedGateway } from '../admin/managed.js'
import { CHANNELS } from '../events/channels.js'
import { parsePrometheus, seedYaml, sum } from '../test/admin.js'
import { http1, startUpstream, type Upstream } from '../test/config.js'

let gw: ManagedGateway | undefined
let upstream: Upstream | undefined
afterEach(async () => {
  await gw?.close()
  await upstream?.close()
  gw = undefined
  upstream = undefined
})

describe('metrics without request counting', () => {
  it('serves requests without observing them, and still reports process and config figures', async () => {
    upstream = await startUpstream()
    gw = await createManagedGateway({ ports: { 80: 0 }, metrics: { requests: false } })
    expect((await gw.create(seedYaml(upstream.port), { file: 'seed.yaml' })).ok).toBe(true)
    const port = gw.addresses[80]!.port
    for (let i = 0; i < 3; i++) expect((await http1(port, '/status/200')).status).toBe(200)
    // Observation starts as soon as someone listens (an access log, a user's subscriber).
    const heard: unknown[] = []
    const listener = (message: unknown) => heard.push(message)
    subscribe(CHANNELS.requestEnd, listener)
    try {
      expect((await http1(port, '/status/200')).status).toBe(200)
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(heard).toHaveLength(1)
    } finally {
      unsubscribe(CHANNELS.requestEnd, listener)
    }
    const { samples } = parsePrometheus(gw.metrics.render())
    expect(sum(samples, 'istio_requests_total')).toBe(0)
    expect(sum(samples, 'portico_config_version')).toBe(gw.version)
    expect(sum(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0)
  })
})
