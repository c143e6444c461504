/**
 * Nothing leaks: a gateway in its own process (measured there, after garbage collection) comes
 * back to its baseline after a mix of good and hostile requests. The long variant is `pnpm soak`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  Clients,
  compare,
  failures,
  LEAK_MIX,
  runKinds,
  type Soak,
  scaleMix,
  schedule,
  settle,
  socketsOf,
  startSoak,
} from './test/soak/harness.js'

/**
 * Requests in the leak test: the whole mix, 51,000 (`PORTICO_LEAK_REQUESTS` sets another count).
 * They cost about 1 ms of CPU each, the gateway's and the clients' and upstream's together, so
 * about 30 s on each of two free cores and three minutes on two cores shared with a dozen busy
 * processes; the timeout is for the latter.
 */
const REQUESTS = Number(process.env.PORTICO_LEAK_REQUESTS ?? 51_000)
/**
 * Warm-up requests before the baseline, at the same concurrency: the allocator's and V8's pages
 * reach their working size first, so that RSS compares like with like.
 */
const WARM_UP = 3_000
const CONCURRENCY = 64
describe('nothing leaks', () => {
  let soak: Soak
  const mix = scaleMix(LEAK_MIX, REQUESTS)

  beforeAll(async () => {
    soak = await startSoak()
  })
  afterAll(async () => {
    await soak?.close()
  })

  it(`${REQUESTS} mixed requests (good, malformed, oversized, cut, vanishing, reset, abandoned, upstream resets and stalls): fds and handles back to baseline, heap within 10 %, RSS within 20 %`, async () => {
    // Warm up with every kind, so that lazily created state (pools, caches, JIT) is in the baseline.
    const warm = new Clients(soak.ports())
    await runKinds(warm, schedule(scaleMix(LEAK_MIX, WARM_UP), 1), CONCURRENCY)
    warm.close()
    const baseline = await settle(soak.gateway, undefined, 10_000)

    const clients = new Clients(soak.ports())
    const tally = await runKinds(clients, schedule(mix, 2), CONCURRENCY)
    clients.close()
    const after = await settle(soak.gateway, baseline, 15_000)
    console.log(compare(`leak test: baseline → after ${REQUESTS} requests`, baseline, after))
    console.log(`  answers    ${JSON.stringify(tally)}`)

    expect(failures(tally)).toEqual([])
    const total = Object.values(tally).reduce(
      (n, row) => n + Object.values(row).reduce((a, b) => a + b, 0),
      0,
    )
    expect(total).toBe(REQUESTS)
    expect(tally.malformed?.['400']).toBe(mix.malformed)
    expect(tally.oversized?.['431']).toBe(mix.oversized)
    expect(tally.upstreamReset?.['503']).toBe(mix.upstreamReset)
    expect(tally.upstreamStall?.['504']).toBe(mix.upstreamStall)
    expect(after.fds, socketsOf(soak.gateway.pid, soak.names()).join(', ')).toBe(baseline.fds)
    expect(after.handles).toEqual(baseline.handles)
    expect(after.heapUsed).toBeLessThanOrEqual(baseline.heapUsed * 1.1)
    expect(after.rss).toBeLessThanOrEqual(baseline.rss * 1.2)
  }, 480_000)
})
