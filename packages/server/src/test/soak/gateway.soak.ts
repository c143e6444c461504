/**
 * `pnpm soak`: the leak test's traffic mix and the churn test's config changes together, for as
 * long as asked (`pnpm soak --duration 10m`; default 2 minutes), against a gateway in its own
 * process. Prints one line of curves every 10 s (RSS, heap after GC, fds, handles, req/s, p99 of
 * good requests, changes applied), then the baseline against the end, and fails like the tests
 * when something did not come back.
 */
import { expect, it } from 'vitest'
import {
  Clients,
  compare,
  failures,
  handleCount,
  type Kind,
  LEAK_MIX,
  mib,
  percentile,
  runKinds,
  scaleMix,
  schedule,
  settle,
  soakYaml,
  socketsOf,
  startSoak,
  type Tally,
} from './harness.js'

const SECONDS = Number(process.env.PORTICO_SOAK_SECONDS ?? 120)
const CONCURRENCY = 64
const SAMPLE_MS = 10_000

it(`soak: ${SECONDS} s of mixed traffic and config changes`, async () => {
  const soak = await startSoak()
  const { gateway, cert, yaml: base, ports } = soak
  try {
    const warm = new Clients(ports())
    await runKinds(warm, schedule(scaleMix(LEAK_MIX, 3_000), 1), CONCURRENCY)
    warm.close()
    const baseline = await settle(gateway, undefined, 10_000)
    console.log(compare('soak baseline', baseline, baseline))

    const clients = new Clients(ports())
    const tally: Tally = {}
    const order: Kind[] = schedule(LEAK_MIX, 7)
    const end = Date.now() + SECONDS * 1000
    let done = 0
    let windowDone = 0
    let changes = 0
    let next = 0
    const worker = async () => {
      while (Date.now() < end) {
        const kind = order[next++ % order.length]!
        const outcome = await clients.run(kind)
        const row = tally[kind] ?? {}
        tally[kind] = row
        row[outcome] = (row[outcome] ?? 0) + 1
        done++
        windowDone++
      }
    }
    const changer = async () => {
      while (Date.now() < end) {
        changes++
        const extraPort = changes % 250 >= 200
        const outcome = await gateway.apply(soakYaml({ ...base, edit: changes, extraPort }))
        expect(outcome.ok, JSON.stringify(outcome.diagnostics)).toBe(true)
        if (changes % 100 === 0) {
          cert.rotate()
          expect((await gateway.reload()).ok).toBe(true)
        }
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    const started = Date.now()
    let windowStart = started
    const sampler = setInterval(() => {
      const now = Date.now()
      const latencies = clients.takeLatencies()
      const rate = (windowDone * 1000) / (now - windowStart)
      windowDone = 0
      windowStart = now
      gateway.measure().then(
        (m) =>
          console.log(
            `t=${String(Math.round((now - started) / 1000)).padStart(5)} s  rss ${mib(m.rss).padStart(10)}  ` +
              `heap ${mib(m.heapUsed).padStart(9)}  fds ${String(m.fds).padStart(4)}  ` +
              `handles ${String(handleCount(m)).padStart(4)}  req/s ${rate.toFixed(0).padStart(5)}  ` +
              `p99 ${percentile(latencies, 99).toFixed(1).padStart(7)} ms  changes ${changes}`,
          ),
        () => {},
      )
    }, SAMPLE_MS)
    await Promise.all([...Array.from({ length: CONCURRENCY }, worker), changer()])
    clearInterval(sampler)
    clients.close()
    // The baseline config has no port 9090; a run that ends while it is on (changes 200–249 of
    // every 250) turns it off again, so that the listener is not counted as a leak.
    expect((await gateway.apply(soakYaml({ ...base, edit: changes + 1 }))).ok).toBe(true)
    expect(gateway.addresses[9090]).toBeUndefined()
    const after = await settle(gateway, baseline, 20_000)
    console.log(compare(`soak: baseline → after ${done} requests and ${changes} changes`, baseline, after))
    console.log(`  answers    ${JSON.stringify(tally)}`)
    expect(failures(tally)).toEqual([])
    expect(after.fds, socketsOf(gateway.pid, soak.names()).join(', ')).toBe(baseline.fds)
    expect(after.handles).toEqual(baseline.handles)
    expect(after.heapUsed).toBeLessThanOrEqual(baseline.heapUsed * 1.1)
    expect(after.rss).toBeLessThanOrEqual(baseline.rss * 1.2)
  } finally {
    await soak.close()
  }
}, 0)
