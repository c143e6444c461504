import type { ManagedGateway } from '@portico/server'
import { describe, expect, it } from 'vitest'
import { connectStore, type EtcdStore } from './client.js'
import { directVsYaml, gatewayYaml, resources } from './test/fixtures.js'
import { get, storeGateway, useEtcd, waitFor } from './test/fleet.js'
import { writeStore } from './write.js'

const fixture = useEtcd()

async function fleet(n: number): Promise<{ store: EtcdStore; gateways: ManagedGateway[]; url: string }> {
  const url = fixture.url('fleet')
  const store = connectStore({ url })
  fixture.track(store)
  const gateways = await Promise.all(Array.from({ length: n }, () => storeGateway(url)))
  fixture.track(...gateways)
  return { store, gateways, url }
}

const applied = (g: ManagedGateway) => g.source?.appliedRevision ?? 0

describe('a fleet of gateways on one etcd prefix', () => {
  it('three gateways converge after an apply (the slowest is reported) and serve it', async () => {
    const { store, gateways } = await fleet(3)
    const first = await writeStore(store, {
      operation: 'apply',
      resources: resources(gatewayYaml(), directVsYaml('hello', 'one')),
    })
    expect(first.ok).toBe(true)
    await waitFor('the first configuration everywhere', () =>
      gateways.every((g) => applied(g) >= first.revision),
    )
    for (const g of gateways) {
      expect(g.ready).toBe(true)
      expect(await get(g)).toEqual({ status: 200, body: 'one' })
    }

    // Timed from the start of the apply: its read, validation and transaction are part of it.
    const started = performance.now()
    const change = await writeStore(store, {
      operation: 'replace',
      resources: resources(directVsYaml('hello', 'two')),
    })
    const times = new Map<ManagedGateway, number>()
    await waitFor('the change everywhere', () => {
      for (const g of gateways)
        if (!times.has(g) && applied(g) >= change.revision) times.set(g, performance.now() - started)
      return times.size === gateways.length
    })
    const slowest = Math.max(...times.values())
    console.log(
      `fleet convergence: slowest of 3 gateways served revision ${change.revision} ${slowest.toFixed(1)} ms after the apply started`,
    )
    for (const g of gateways) expect(await get(g)).toEqual({ status: 200, body: 'two' })
  })

  it('a raw write that bypassed validation is ignored by every gateway, which shows the rejected revision', async () => {
    const { store, gateways } = await fleet(3)
    const good = await writeStore(store, {
      operation: 'apply',
      resources: resources(gatewayYaml(), directVsYaml('hello', 'good')),
    })
    await waitFor('the good configuration', () => gateways.every((g) => applied(g) >= good.revision))
    // A VirtualService whose regex RE2 refuses, put straight into etcd.
    const key = `${store.prefix}/networking.istio.io/virtualservices/default/hello`
    const bad = resources(directVsYaml('hello', 'bad'))[0] as { spec: { http: { match: unknown[] }[] } }
    bad.spec.http[0]!.match = [{ uri: { regex: '([a-z' } }]
    const put = await store.client.put(key).value(JSON.stringify(bad)).exec()
    const rejected = Number(put.header.revision)
    await waitFor('the rejection everywhere', () =>
      gateways.every((g) => g.source?.rejectedRevision === rejected),
    )
    for (const g of gateways) {
      expect(applied(g)).toBe(good.revision)
      expect(g.source?.rejectedDiagnostics.some((d) => d.severity === 'error')).toBe(true)
      expect(await get(g)).toEqual({ status: 200, body: 'good' })
      expect(g.metrics.render()).toMatch(
        new RegExp(`portico_config_source_rejected_revision\\{source="[^"]+"\\} ${rejected}`),
      )
    }
    // Writers refuse to build on it, and fixing the key makes every gateway move on.
    const refused = await writeStore(store, {
      operation: 'apply',
      resources: resources(directVsYaml('other', 'x', { prefix: '/x' })),
    })
    expect(refused.ok).toBe(false)
    await store.client
      .put(key)
      .value(JSON.stringify(resources(directVsYaml('hello', 'fixed'))[0]))
      .exec()
    await waitFor('the fix everywhere', async () =>
      (await Promise.all(gateways.map((g) => get(g)))).every((r) => r.body === 'fixed'),
    )
  })

  it('no request fails over 20 applies under steady load across three gateways', async () => {
    const { store, gateways } = await fleet(3)
    const first = await writeStore(store, {
      operation: 'apply',
      resources: resources(gatewayYaml(), directVsYaml('hello', 'v0')),
    })
    await waitFor('the first configuration', () => gateways.every((g) => applied(g) >= first.revision))
    let stop = false
    const failures: string[] = []
    let served = 0
    const load = gateways.map(async (g) => {
      while (!stop) {
        try {
          const res = await get(g)
          if (res.status !== 200 || !/^v\d+$/.test(res.body)) failures.push(`${res.status} ${res.body}`)
          else served++
        } catch (error) {
          failures.push(String(error))
        }
      }
    })
    let last = first.revision
    for (let i = 1; i <= 20; i++) {
      const out = await writeStore(store, {
        operation: 'apply',
        resources: resources(directVsYaml('hello', `v${i}`)),
      })
      expect(out.ok).toBe(true)
      last = out.revision
    }
    await waitFor('the last apply everywhere', () => gateways.every((g) => applied(g) >= last))
    stop = true
    await Promise.all(load)
    expect(failures).toEqual([])
    expect(served).toBeGreaterThan(20)
    for (const g of gateways) expect((await get(g)).body).toBe('v20')
  })

  it('deleting the Gateway closes its port on every gateway; creating it again opens it', async () => {
    const { store, gateways } = await fleet(3)
    const first = await writeStore(store, {
      operation: 'apply',
      resources: resources(gatewayYaml(), directVsYaml('hello', 'here')),
    })
    await waitFor('the configuration', () => gateways.every((g) => applied(g) >= first.revision))
    expect(gateways.every((g) => g.addresses[80] !== undefined)).toBe(true)
    const gone = await writeStore(store, { operation: 'delete', keys: [{ kind: 'gateway', name: 'web' }] })
    expect(gone.ok).toBe(true)
    await waitFor('port 80 closed everywhere', () => gateways.every((g) => g.addresses[80] === undefined))
    const back = await writeStore(store, { operation: 'create', resources: resources(gatewayYaml()) })
    await waitFor('port 80 again', () => gateways.every((g) => applied(g) >= back.revision))
    for (const g of gateways) expect(await get(g)).toEqual({ status: 200, body: 'here' })
  })
})
