import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Diagnostic } from '../diagnostics/diagnostic.js'
import type { SnapshotResource } from './snapshot.js'
import { createConfigStore } from './store.js'

interface Res extends SnapshotResource {
  readonly spec: { readonly value: number }
}

const kinds = ['Gateway', 'VirtualService', 'ServiceEntry'] as const
const names = ['a', 'b', 'c'] as const
const namespaces = [undefined, 'default', 'istio-system'] as const

const resource = fc.record({
  kind: fc.constantFrom(...kinds),
  name: fc.constantFrom(...names),
  namespace: fc.constantFrom(...namespaces),
  value: fc.integer({ min: -1, max: 3 }),
})

const operation = fc.oneof(
  fc.record({
    op: fc.constantFrom('create', 'replace', 'apply'),
    items: fc.array(resource, { maxLength: 3 }),
  }),
  fc.record({ op: fc.constant('delete'), items: fc.array(resource, { minLength: 1, maxLength: 2 }) }),
)

const build = (r: { kind: string; name: string; namespace: string | undefined; value: number }): Res => ({
  kind: r.kind,
  metadata: r.namespace === undefined ? { name: r.name } : { name: r.name, namespace: r.namespace },
  spec: { value: r.value },
})

/** Negative values are invalid. */
const validate = (resources: readonly Res[]): Diagnostic[] =>
  resources
    .filter((r) => r.spec.value < 0)
    .map((r) => ({
      severity: 'error',
      code: 'TEST',
      message: 'negative',
      resource: { kind: r.kind, namespace: r.metadata.namespace ?? 'default', name: r.metadata.name },
    }))

const keyOf = (r: { kind: string; metadata: { name: string; namespace?: string | undefined } }) =>
  `${r.kind}/${r.metadata.namespace ?? 'default'}/${r.metadata.name}`

describe('ConfigStore (property)', () => {
  it('behaves as a map of resources where a refused change changes nothing and versions count accepted changes', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 25 }), (ops) => {
        const store = createConfigStore<Res>({ validate })
        const model = new Map<string, number>()
        let version = 1
        for (const { op, items } of ops) {
          const before = store.snapshot
          const resources = items.map(build)
          const result =
            op === 'delete'
              ? store.delete(
                  resources.map((r) => ({
                    kind: r.kind,
                    name: r.metadata.name,
                    namespace: r.metadata.namespace,
                  })),
                )
              : store[op as 'create' | 'replace' | 'apply'](resources)
          // The reference: what istioctl would do to the map, all or nothing.
          const next = new Map(model)
          const keys = resources.map(keyOf)
          let refused = new Set(keys).size !== keys.length && op !== 'delete'
          for (const r of resources) {
            const key = keyOf(r)
            if (op === 'create' && model.has(key)) refused = true
            if ((op === 'replace' || op === 'delete') && !model.has(key)) refused = true
            if (op === 'delete') next.delete(key)
            else next.set(key, r.spec.value)
          }
          if ([...next.values()].some((v) => v < 0)) refused = true
          expect(result.ok).toBe(!refused)
          if (refused) {
            expect(store.snapshot).toBe(before)
            continue
          }
          const changed = [...next].some(([k, v]) => model.get(k) !== v) || next.size !== model.size
          if (changed) version++
          model.clear()
          for (const [k, v] of next) model.set(k, v)
          expect(store.snapshot.version).toBe(version)
          expect(new Map(store.snapshot.resources.map((r) => [keyOf(r), r.spec.value]))).toEqual(model)
        }
      }),
      { numRuns: 300 },
    )
  })
})
