import { describe, expect, it } from 'vitest'
import { createSnapshot } from './snapshot.js'

const r = (kind: string, name: string, namespace?: string, extra: Record<string, unknown> = {}) => ({
  kind,
  metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
  ...extra,
})

describe('createSnapshot', () => {
  it('keeps load order, looks up by kind and kind/namespace/name (namespace defaults to default)', () => {
    const s = createSnapshot([
      r('Gateway', 'g'),
      r('VirtualService', 'v', 'ns'),
      r('Gateway', 'h', 'default'),
    ])
    expect(s.version).toBe(1)
    expect(s.list('Gateway').map((x) => x.metadata.name)).toEqual(['g', 'h'])
    expect(s.get('Gateway', undefined, 'g')).toBe(s.resources[0])
    expect(s.get('Gateway', 'default', 'h')?.metadata.name).toBe('h')
    expect(s.get('VirtualService', 'default', 'v')).toBeUndefined()
    expect(s.list('Secret')).toEqual([])
    expect(Object.isFrozen(s)).toBe(true)
    expect(Object.isFrozen(s.resources)).toBe(true)
  })
  it('a later duplicate replaces the earlier one in place', () => {
    const s = createSnapshot([
      r('Gateway', 'g', undefined, { v: 1 }),
      r('Gateway', 'x'),
      r('Gateway', 'g', 'default', { v: 2 }),
    ])
    expect(s.resources.map((x) => [x.metadata.name, (x as { v?: number }).v])).toEqual([
      ['g', 2],
      ['x', undefined],
    ])
  })
  it('apply() upserts and deletes into a new version, leaving the old one intact', () => {
    const s1 = createSnapshot([r('Gateway', 'g'), r('VirtualService', 'v')], { version: 7 })
    const s2 = s1.apply(
      [r('Gateway', 'g', undefined, { v: 2 }), r('Secret', 's', 'istio-system')],
      [{ kind: 'VirtualService', name: 'v' }],
    )
    expect(s2.version).toBe(8)
    expect(s2.resources.map((x) => `${x.kind}/${x.metadata.name}`)).toEqual(['Gateway/g', 'Secret/s'])
    expect(s1.resources).toHaveLength(2)
    expect(s2.get('Secret', 'istio-system', 's')).toBeDefined()
  })
})
