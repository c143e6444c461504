import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectStore, type EtcdStore, StoreError } from './client.js'
import { startEtcd, type TestEtcd } from './test/etcd-server.js'
import { directVsYaml, gatewayYaml, resources } from './test/fixtures.js'
import { writeStore } from './write.js'

let etcd: TestEtcd
const stores: EtcdStore[] = []
let prefixes = 0

beforeAll(async () => {
  etcd = await startEtcd()
})
afterAll(async () => {
  for (const s of stores) await s.close()
  await etcd?.close()
})

function store(): EtcdStore {
  const s = connectStore({ url: etcd.url(`write-${++prefixes}`) })
  stores.push(s)
  return s
}

async function keys(s: EtcdStore): Promise<string[]> {
  return (await s.read()).entries.map((e) => e.key).sort()
}

describe('writeStore', () => {
  it('lays resources out as Kubernetes does, as JSON, and reports the revision after the write', async () => {
    const s = store()
    const secret = `apiVersion: v1
kind: Secret
metadata: { name: cert, namespace: istio-system }
type: kubernetes.io/tls
stringData: { tls.crt: x, tls.key: y }`
    const outcome = await writeStore(s, {
      operation: 'apply',
      resources: resources(gatewayYaml(), directVsYaml('hello', 'hi'), secret),
    })
    expect(outcome.ok).toBe(true)
    expect(outcome.changes.map((c) => c.action)).toEqual(['created', 'created', 'created'])
    const read = await s.read()
    expect(read.revision).toBe(outcome.revision)
    expect(read.entries.map((e) => e.key).sort()).toEqual([
      `${s.prefix}/networking.istio.io/gateways/default/web`,
      `${s.prefix}/networking.istio.io/virtualservices/default/hello`,
      `${s.prefix}/secrets/istio-system/cert`,
    ])
    const vs = read.entries.find((e) => e.key.endsWith('/hello'))
    expect(JSON.parse(vs?.value ?? '')).toMatchObject({
      kind: 'VirtualService',
      metadata: { name: 'hello', namespace: 'default' },
    })
    // The same change again writes nothing and keeps the revision.
    const again = await writeStore(s, { operation: 'apply', resources: resources(gatewayYaml()) })
    expect(again).toMatchObject({ ok: true, revision: outcome.revision })
    expect(again.changes[0]?.action).toBe('unchanged')
  })

  it('keeps Kubernetes service discovery under its Kubernetes names (endpoints, not endpointses)', async () => {
    const s = store()
    const discovery = `apiVersion: v1
kind: Service
metadata: { name: grpc, namespace: apps }
spec: { ports: [{ name: grpc, port: 9090 }] }
---
apiVersion: v1
kind: Endpoints
metadata: { name: grpc, namespace: apps }
subsets: [{ addresses: [{ ip: 10.0.0.1 }], ports: [{ name: grpc, port: 50051 }] }]`
    const outcome = await writeStore(s, { operation: 'apply', resources: resources(discovery) })
    expect(outcome.ok).toBe(true)
    expect(await keys(s)).toEqual([`${s.prefix}/endpoints/apps/grpc`, `${s.prefix}/services/apps/grpc`])
    const read = await s.read()
    expect(read.diagnostics).toEqual([])
    expect(read.resources.map((r) => r.kind).sort()).toEqual(['Endpoints', 'Service'])
  })

  it('validates the whole resulting configuration: an invalid change writes nothing', async () => {
    const s = store()
    const first = await writeStore(s, { operation: 'create', resources: resources(gatewayYaml()) })
    const bad = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: bad }
spec:
  hosts: ["*"]
  gateways: [web]
  http:
  - match: [{ uri: { regex: "([a-z" } }]
    directResponse: { status: 200 }`
    const outcome = await writeStore(s, { operation: 'apply', resources: resources(bad) })
    expect(outcome.ok).toBe(false)
    expect(outcome.diagnostics.some((d) => d.severity === 'error')).toBe(true)
    expect(outcome.revision).toBe(first.revision)
    expect((await s.read()).revision).toBe(first.revision)
    expect(await keys(s)).toEqual([`${s.prefix}/networking.istio.io/gateways/default/web`])
    // delete and replace follow istioctl: refused when the resource is missing.
    const missing = await writeStore(s, { operation: 'delete', keys: [{ kind: 'vs', name: 'nope' }] })
    expect(missing.diagnostics.map((d) => d.code)).toEqual(['PTC4202'])
  })

  it('two concurrent applies both land (no lost update)', async () => {
    const s1 = store()
    const s2 = connectStore({ url: `etcd://${etcd.endpoint}${s1.prefix}` })
    stores.push(s2)
    await writeStore(s1, { operation: 'create', resources: resources(gatewayYaml()) })
    const [a, b] = await Promise.all([
      writeStore(s1, { operation: 'apply', resources: resources(directVsYaml('a', 'A', { prefix: '/a' })) }),
      writeStore(s2, { operation: 'apply', resources: resources(directVsYaml('b', 'B', { prefix: '/b' })) }),
    ])
    expect(a.ok && b.ok).toBe(true)
    expect(a.revision).not.toBe(b.revision)
    const read = await s1.read()
    expect(read.resources.map((r) => r.metadata.name).sort()).toEqual(['a', 'b', 'web'])
  })

  it('two concurrent creates of the same new resource: exactly one succeeds', async () => {
    const s1 = store()
    const s2 = connectStore({ url: `etcd://${etcd.endpoint}${s1.prefix}` })
    stores.push(s2)
    await writeStore(s1, { operation: 'create', resources: resources(gatewayYaml()) })
    const outcomes = await Promise.all([
      writeStore(s1, { operation: 'create', resources: resources(directVsYaml('same', 'one')) }),
      writeStore(s2, { operation: 'create', resources: resources(directVsYaml('same', 'two')) }),
    ])
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1)
    const loser = outcomes.find((o) => !o.ok)
    expect(loser?.diagnostics.map((d) => d.code)).toEqual(['PTC4200'])
    const read = await s1.read()
    const value = JSON.parse(read.entries.find((e) => e.key.endsWith('/same'))?.value ?? '{}')
    const winner = outcomes.findIndex((o) => o.ok)
    expect(value.spec.http[0].directResponse.body.string).toBe(winner === 0 ? 'one' : 'two')
  })

  it('a store that cannot be reached fails within seconds with a message naming it', async () => {
    const gone = connectStore({ url: 'etcd://127.0.0.1:1/portico', timeoutMs: 1000 })
    stores.push(gone)
    const error = await writeStore(gone, { operation: 'apply', resources: resources(gatewayYaml()) }).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(StoreError)
    expect((error as Error).message).toContain('etcd://127.0.0.1:1/portico')
  }, 15_000)
})
