/**
 * Config churn: a gateway in its own process (measured there, after garbage collection) takes
 * 1,000 config changes under steady load without failing a request and comes back to its
 * baseline. The long variant is `pnpm soak`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  Clients,
  compare,
  failures,
  LEAK_MIX,
  mib,
  runKinds,
  type Soak,
  scaleMix,
  schedule,
  settle,
  soakYaml,
  socketsOf,
  startSoak,
  steadyLoad,
} from './test/soak/harness.js'

/** Config changes in the churn test. */
const CHANGES = 1_000
/** Changes applied before the baseline. */
const WARM_UP_CHANGES = 200

describe('config churn', () => {
  let soak: Soak

  beforeAll(async () => {
    soak = await startSoak()
  })
  afterAll(async () => {
    await soak?.close()
  })

  it('1,000 config changes under steady load (VirtualService edits, a certificate rotation every 100, a port added and removed): no failed request, heap back within 10 %', async () => {
    const { gateway, cert, yaml: base, ports } = soak
    const clients = new Clients(ports())
    // Warm up the change path too (V8 compiles the compiler and the matchers' code as changes
    // come; that code reaches its working size after a couple of hundred changes).
    for (let i = 1; i <= WARM_UP_CHANGES; i++) {
      expect((await gateway.apply(soakYaml({ ...base, edit: i }))).ok).toBe(true)
    }
    await runKinds(clients, schedule(scaleMix(LEAK_MIX, 300), 3), 16)
    clients.close()
    const baseline = await settle(gateway, undefined, 10_000)

    const loadClients = new Clients(ports())
    const load = steadyLoad(loadClients, 4)
    let extraServed = 0
    const checkpoints: string[] = []
    for (let i = 1; i <= CHANGES; i++) {
      const extraPort = i >= CHANGES / 2 && i < CHANGES / 2 + 100
      const outcome = await gateway.apply(soakYaml({ ...base, edit: 1_000 + i, extraPort }))
      expect(outcome.ok, JSON.stringify(outcome.diagnostics)).toBe(true)
      if (i % 250 === 0) checkpoints.push(mib((await gateway.measure()).heapUsed))
      if (i % 100 === 0) {
        cert.rotate()
        expect((await gateway.reload()).ok).toBe(true)
      }
      if (i === CHANGES / 2 + 50) {
        const extra = new Clients({ ...ports(), http: gateway.addresses[9090]!.port })
        if ((await extra.run('h1')) === '200') extraServed++
        extra.close()
      }
    }
    expect(gateway.addresses[9090]).toBeUndefined()
    await load.stop()
    loadClients.close()
    const after = await settle(gateway, baseline, 15_000)
    console.log(compare('config churn: baseline → after 1,000 changes', baseline, after))
    const answered = Object.values(load.tally).reduce(
      (n, row) => n + Object.values(row).reduce((a, b) => a + b, 0),
      0,
    )
    console.log(`  heap (gc) after 250, 500, 750, 1000 changes: ${checkpoints.join(', ')}`)
    console.log(`  requests during the changes: ${answered} ${JSON.stringify(load.tally)}`)

    expect(extraServed).toBe(1)
    expect(failures(load.tally)).toEqual([])
    expect(answered).toBeGreaterThan(1_000)
    expect(after.heapUsed).toBeLessThanOrEqual(baseline.heapUsed * 1.1)
    expect(after.fds, socketsOf(gateway.pid, soak.names()).join(', ')).toBe(baseline.fds)
    expect(after.handles).toEqual(baseline.handles)
  }, 300_000)
})
