import { afterEach, describe, expect, it } from 'vitest'
import { createManagedGateway, type ManagedGateway } from '../admin/managed.js'
import { seedYaml } from '../test/admin.js'
import { http1, startUpstream, type Upstream } from '../test/config.js'
import { createMetrics, type Metrics } from './metrics.js'

let gw: ManagedGateway | undefined
let upstream: Upstream | undefined
const extra: Metrics[] = []
afterEach(async () => {
  for (const m of extra.splice(0)) m.close()
  await gw?.close()
  await upstream?.close()
  gw = undefined
  upstream = undefined
})

/** The request families' lines of a rendering (process figures differ from one scrape to the next). */
function requestLines(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => /^(# (HELP|TYPE) )?(istio_request|portico_route_request)/.test(line))
}

describe('request metrics handed over by the gateway', () => {
  it('count exactly what the same metrics count from full request-end events', async () => {
    upstream = await startUpstream()
    gw = await createManagedGateway({ ports: { 80: 0 } })
    expect((await gw.create(seedYaml(upstream.port), { file: 'seed.yaml' })).ok).toBe(true)
    const port = gw.addresses[80]!.port
    const local = `127.0.0.1:${port}`
    // One set of metrics reads whole events through a filter, the other is handed the
    // observations directly (as the gateway's own metrics are).
    const viaEvents = createMetrics({ filter: (e) => e.downstreamLocalAddress === local })
    const direct = createMetrics({ localAddresses: () => new Set([local]) })
    const elsewhere = createMetrics({ localAddresses: () => new Set(['127.0.0.1:1']) })
    extra.push(viaEvents, direct, elsewhere)
    const paths = ['/status/200', '/status/418', '/nowhere', '/status/200', '/delay/0', '/status/503']
    for (const path of paths) await http1(port, path)
    // The last response's end is counted when its response closes, just after the client has it.
    await expect
      .poll(() => requestLines(direct.render()).filter((l) => l.startsWith('istio_requests_total')).length)
      .toBeGreaterThan(0)
    await expect.poll(() => requestLines(direct.render())).toEqual(requestLines(viaEvents.render()))
    const lines = requestLines(direct.render())
    expect(lines.some((l) => /response_code="418"/.test(l))).toBe(true)
    expect(lines.some((l) => /response_code="404",response_flags="NR"/.test(l))).toBe(true)
    // The gateway's own metrics saw the same requests.
    expect(requestLines(gw.metrics.render())).toEqual(lines)
    // Requests that arrived on other addresses are not counted.
    expect(requestLines(elsewhere.render()).filter((l) => !l.startsWith('#'))).toEqual([])
  })
})
