import { describe, expect, it } from 'vitest'
import type { Diagnostic } from '../diagnostics/diagnostic.js'
import type { SnapshotResource } from './snapshot.js'
import { canonicalKind, createConfigStore } from './store.js'

interface Res extends SnapshotResource {
  readonly spec?: { readonly port?: number; readonly gateways?: readonly string[] }
}

const gateway = (name: string, port = 80, namespace?: string): Res => ({
  kind: 'Gateway',
  metadata: namespace === undefined ? { name } : { name, namespace },
  spec: { port },
})
const vs = (name: string, gateways: string[]): Res => ({
  kind: 'VirtualService',
  metadata: { name },
  spec: { gateways },
})

/** A stand-in for core's validate: a port must be positive; a VirtualService must name an existing Gateway. */
function validate(resources: readonly Res[]): Diagnostic[] {
  const out: Diagnostic[] = []
  const gateways = new Set(resources.filter((r) => r.kind === 'Gateway').map((r) => r.metadata.name))
  for (const r of resources) {
    const resource = { kind: r.kind, namespace: r.metadata.namespace ?? 'default', name: r.metadata.name }
    if (r.kind === 'Gateway' && (r.spec?.port ?? 0) <= 0) {
      out.push({ severity: 'error', code: 'TEST1', message: 'bad port', resource, path: 'spec.port' })
    }
    for (const g of r.spec?.gateways ?? []) {
      if (!gateways.has(g))
        out.push({ severity: 'warning', code: 'TEST2', message: `no gateway ${g}`, resource })
    }
  }
  return out
}

describe('ConfigStore', () => {
  it('creates, refuses a second create of the same resource, and bumps the version once per change', () => {
    const store = createConfigStore<Res>({ validate })
    expect(store.snapshot.version).toBe(1)
    const first = store.create([gateway('httpbin-gateway')])
    expect(first.ok).toBe(true)
    expect(first.changes).toEqual([
      { action: 'created', resource: { kind: 'Gateway', namespace: 'default', name: 'httpbin-gateway' } },
    ])
    expect(store.snapshot.version).toBe(2)
    const again = store.create([gateway('httpbin-gateway', 443)])
    expect(again.ok).toBe(false)
    expect(again.diagnostics.map((d) => d.code)).toEqual(['PTC4200'])
    expect(store.snapshot.version).toBe(2)
    expect((store.snapshot.get('Gateway', undefined, 'httpbin-gateway') as Res).spec?.port).toBe(80)
  })

  it('replaces only what exists, keeping the resource in its place', () => {
    const store = createConfigStore<Res>({ resources: [gateway('a'), gateway('b')], validate })
    expect(store.replace([gateway('c')]).diagnostics.map((d) => d.code)).toEqual(['PTC4201'])
    const result = store.replace([gateway('a', 443)])
    expect(result.ok).toBe(true)
    expect(result.changes[0]?.action).toBe('replaced')
    expect(store.snapshot.resources.map((r) => [r.metadata.name, (r as Res).spec?.port])).toEqual([
      ['a', 443],
      ['b', 80],
    ])
  })

  it('apply creates or replaces and reports identical resources as unchanged without a new version', () => {
    const store = createConfigStore<Res>({ resources: [gateway('a')], validate })
    const result = store.apply([gateway('a'), gateway('b')])
    expect(result.changes.map((c) => c.action)).toEqual(['unchanged', 'created'])
    expect(store.snapshot.version).toBe(2)
    const noop = store.apply([gateway('a'), gateway('b')])
    expect(noop.ok).toBe(true)
    expect(noop.changes.map((c) => c.action)).toEqual(['unchanged', 'unchanged'])
    expect(store.snapshot.version).toBe(2)
  })

  it('refuses a change whose resulting snapshot has an error, with its diagnostics, and changes nothing', () => {
    const store = createConfigStore<Res>({ resources: [gateway('a')], validate })
    const seen: number[] = []
    store.subscribe((s) => seen.push(s.version))
    const before = store.snapshot
    const result = store.apply([gateway('b'), gateway('a', 0)])
    expect(result.ok).toBe(false)
    expect(result.diagnostics).toEqual([expect.objectContaining({ code: 'TEST1', path: 'spec.port' })])
    expect(store.snapshot).toBe(before)
    expect(store.snapshot.get('Gateway', 'default', 'b')).toBeUndefined()
    expect(seen).toEqual([])
  })

  it('admits a change with warnings only and returns them', () => {
    const store = createConfigStore<Res>({ validate })
    const result = store.create([vs('httpbin', ['missing'])])
    expect(result.ok).toBe(true)
    expect(result.diagnostics.map((d) => [d.severity, d.code])).toEqual([['warning', 'TEST2']])
  })

  it('deletes by kind and name with istioctl spellings, namespaces defaulting to default', () => {
    const store = createConfigStore<Res>({
      resources: [
        gateway('httpbin-gateway'),
        gateway('other', 80, 'istio-system'),
        vs('httpbin', ['httpbin-gateway']),
      ],
      validate,
    })
    expect(store.delete([{ kind: 'gw', name: 'other' }]).diagnostics.map((d) => d.code)).toEqual(['PTC4202'])
    expect(store.delete([{ kind: 'Gateways', name: 'other', namespace: 'istio-system' }]).ok).toBe(true)
    const result = store.delete([{ kind: 'gateway', name: 'httpbin-gateway' }])
    expect(result.ok).toBe(true)
    expect(result.diagnostics.map((d) => d.code)).toEqual(['TEST2'])
    expect(store.delete([{ kind: 'VS', name: 'httpbin' }]).ok).toBe(true)
    expect(store.snapshot.resources).toEqual([])
    expect(store.snapshot.version).toBe(4)
  })

  it('apply prunes the named resources in the same change, skipping ones that do not exist', () => {
    const store = createConfigStore<Res>({ resources: [gateway('a'), gateway('b')], validate })
    const result = store.apply(
      [gateway('a', 443)],
      [
        { kind: 'Gateway', name: 'b' },
        { kind: 'Gateway', name: 'gone' },
        { kind: 'Gateway', name: 'a' },
      ],
    )
    expect(result.changes.map((c) => `${c.action} ${c.resource.name}`)).toEqual(['replaced a', 'deleted b'])
    expect(store.snapshot.version).toBe(2)
    expect(store.snapshot.resources.map((r) => r.metadata.name)).toEqual(['a'])
  })

  it('refuses an unknown kind and a resource named twice in one change', () => {
    const store = createConfigStore<Res>({ resources: [gateway('a')] })
    expect(store.delete([{ kind: 'pods', name: 'a' }]).diagnostics.map((d) => d.code)).toEqual(['PTC4203'])
    expect(store.create([gateway('b'), gateway('b')]).diagnostics.map((d) => d.code)).toEqual(['PTC4204'])
    expect(store.snapshot.version).toBe(1)
  })

  it('notifies subscribers with each new snapshot until they unsubscribe', () => {
    const store = createConfigStore<Res>()
    const seen: [number, string][] = []
    const off = store.subscribe((s, change) => seen.push([s.version, change.operation]))
    store.create([gateway('a')])
    store.delete([{ kind: 'Gateway', name: 'a' }])
    off()
    store.create([gateway('b')])
    expect(seen).toEqual([
      [2, 'create'],
      [3, 'delete'],
    ])
  })

  it('commits a plan only against the snapshot it was computed from', () => {
    const store = createConfigStore<Res>()
    const plan = store.plan('create', [gateway('a')])
    expect(plan.ok).toBe(true)
    expect(store.snapshot.version).toBe(1)
    store.create([gateway('b')])
    const stale = store.commit(plan)
    expect(stale.ok).toBe(false)
    expect(stale.diagnostics[0]?.code).toBe('PTC4205')
    expect(store.snapshot.get('Gateway', 'default', 'a')).toBeUndefined()
    expect(store.commit(store.plan('create', [gateway('a')])).ok).toBe(true)
  })

  it('knows the kinds istioctl knows', () => {
    expect(canonicalKind('gateway')).toBe('Gateway')
    expect(canonicalKind('GW')).toBe('Gateway')
    expect(canonicalKind('virtualservices')).toBe('VirtualService')
    expect(canonicalKind('vs')).toBe('VirtualService')
    expect(canonicalKind('dr')).toBe('DestinationRule')
    expect(canonicalKind('serviceentries.networking.istio.io')).toBe('ServiceEntry')
    expect(canonicalKind('Secret')).toBe('Secret')
    expect(canonicalKind('deployment')).toBeUndefined()
  })
})
