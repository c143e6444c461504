import { setTimeout as sleep } from 'node:timers/promises'
import type { ManagedGateway } from '@portico/server'
import { describe, expect, it } from 'vitest'
import { connectStore, type EtcdStore } from './client.js'
import { directVsYaml, gatewayYaml, resources } from './test/fixtures.js'
import { get, storeGateway, useEtcd, waitFor } from './test/fleet.js'
import { startTcpProxy } from './test/tcp-proxy.js'
import { writeStore } from './write.js'

const fixture = useEtcd()

function writer(url: string): EtcdStore {
  const store = connectStore({ url })
  fixture.track(store)
  return store
}

const applied = (g: ManagedGateway) => g.source?.appliedRevision ?? 0

describe('a fleet when etcd fails', () => {
  it('etcd stopped: every gateway keeps serving; restarted: they reconnect and catch up', async () => {
    const url = fixture.url('outage')
    const store = writer(url)
    const gateways = await Promise.all([1, 2, 3].map(() => storeGateway(url)))
    fixture.track(...gateways)
    const first = await writeStore(store, {
      operation: 'apply',
      resources: resources(gatewayYaml(), directVsYaml('hello', 'before')),
    })
    await waitFor('the first configuration', () => gateways.every((g) => applied(g) >= first.revision))

    await fixture.etcd().stop()
    await waitFor('every gateway to notice', () =>
      gateways.every((g) => g.source?.connection === 'disconnected'),
    )
    // Long enough for the reconnection back-off to reach its cap; they serve all along.
    for (let i = 0; i < 6; i++) {
      for (const g of gateways) expect(await get(g)).toEqual({ status: 200, body: 'before' })
      await sleep(500)
    }
    expect(gateways.every((g) => g.ready)).toBe(true)

    await fixture.etcd().start()
    const after = await writeStore(store, {
      operation: 'apply',
      resources: resources(directVsYaml('hello', 'after')),
    })
    expect(after.ok).toBe(true)
    await waitFor('the change after the outage', () => gateways.every((g) => applied(g) >= after.revision))
    for (const g of gateways) {
      expect(g.source?.connection).toBe('connected')
      expect(await get(g)).toEqual({ status: 200, body: 'after' })
    }
  }, 40_000)

  it('a gateway cut off while changes happen and the history is compacted reads everything again', async () => {
    const prefix = fixture.prefix('cutoff')
    const url = fixture.etcd().url(prefix)
    const store = writer(url)
    const proxy = await startTcpProxy({
      host: '127.0.0.1',
      port: Number(fixture.etcd().endpoint.split(':')[1]),
    })
    fixture.track(proxy)
    const connected = await storeGateway(url)
    const isolated = await storeGateway(`etcd://${proxy.endpoint}/${prefix}`)
    fixture.track(connected, isolated)
    const first = await writeStore(store, {
      operation: 'apply',
      resources: resources(gatewayYaml(), directVsYaml('hello', 'v0')),
    })
    await waitFor('the first configuration', () =>
      [connected, isolated].every((g) => applied(g) >= first.revision),
    )

    proxy.cut()
    await waitFor('the cut-off gateway to notice', () => isolated.source?.connection === 'disconnected')
    let last = first
    for (let i = 1; i <= 5; i++) {
      last = await writeStore(store, {
        operation: 'apply',
        resources: resources(directVsYaml('hello', `v${i}`)),
      })
      // A resource deleted while it is cut off must be gone afterwards too.
      if (i === 2)
        await writeStore(store, {
          operation: 'apply',
          resources: resources(directVsYaml('extra', 'x', { prefix: '/extra' })),
        })
      if (i === 4) await writeStore(store, { operation: 'delete', keys: [{ kind: 'vs', name: 'extra' }] })
    }
    await store.client.kv.compact({ revision: last.revision, physical: true })
    // The history the cut-off gateway saw last is gone: etcd answers what it would answer a watch from there.
    const compacted = await store.client.kv
      .range({ key: Buffer.from(`/${prefix}/`), revision: first.revision + 1 })
      .then(
        () => 'not compacted',
        (error: Error) => error.message,
      )
    expect(compacted).toContain('required revision has been compacted')
    await waitFor('the connected gateway', () => applied(connected) >= last.revision)
    expect(await get(isolated)).toEqual({ status: 200, body: 'v0' })

    proxy.restore()
    await waitFor('the cut-off gateway to catch up', () => applied(isolated) >= last.revision)
    expect(isolated.source?.connection).toBe('connected')
    expect(await get(isolated)).toEqual({ status: 200, body: 'v5' })
    expect(isolated.snapshot.resources.map((r) => r.metadata.name).sort()).toEqual(['hello', 'web'])
  }, 40_000)

  it('a gateway started while etcd is unreachable is not ready until it has loaded a configuration', async () => {
    const proxy = await startTcpProxy({
      host: '127.0.0.1',
      port: Number(fixture.etcd().endpoint.split(':')[1]),
    })
    fixture.track(proxy)
    const prefix = fixture.prefix('late')
    const store = writer(fixture.etcd().url(prefix))
    const first = await writeStore(store, {
      operation: 'apply',
      resources: resources(gatewayYaml(), directVsYaml('hello', 'loaded')),
    })
    proxy.cut()
    const gateway = await storeGateway(`etcd://${proxy.endpoint}/${prefix}`)
    fixture.track(gateway)
    await waitFor('the failure to be noticed', () => gateway.source?.connection === 'disconnected')
    expect(gateway.ready).toBe(false)
    expect(gateway.source?.loaded).toBe(false)
    expect(gateway.addresses).toEqual({})
    proxy.restore()
    await waitFor('the configuration', () => gateway.ready)
    expect(applied(gateway)).toBe(first.revision)
    expect(await get(gateway)).toEqual({ status: 200, body: 'loaded' })
  }, 30_000)
})
