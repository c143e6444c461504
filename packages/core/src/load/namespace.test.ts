import { describe, expect, it } from 'vitest'
import { inNamespace } from './namespace.js'
import { parseResources } from './parse.js'
import { sourceOf } from './source.js'

const text = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: free }
spec: { hosts: [a.example.com], http: [{ route: [{ destination: { host: a } }] }] }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: pinned
  namespace: team
spec: { hosts: [b.example.com], http: [{ route: [{ destination: { host: b } }] }] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: elsewhere
  namespace: other
spec: { host: c }
---
apiVersion: v1
kind: Namespace
metadata: { name: team }
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: istio }
spec: { controllerName: istio.io/gateway-controller }
`

describe('inNamespace (kubectl -n for files)', () => {
  const loaded = parseResources(text, 'team.yaml')

  it('puts resources without a namespace in it, keeps matching ones, and leaves cluster-scoped kinds alone', () => {
    expect(loaded.diagnostics).toEqual([])
    const placed = inNamespace(loaded.resources, 'team', '-n')
    expect(
      placed.resources.map((r) => `${r.kind}/${r.metadata.namespace ?? '-'}/${r.metadata.name}`),
    ).toEqual([
      'VirtualService/team/free',
      'VirtualService/team/pinned',
      'DestinationRule/other/elsewhere',
      'Namespace/-/team',
      'GatewayClass/-/istio',
    ])
    // The placed copy still knows where its fields are; the input is not changed.
    const free = placed.resources[0]!
    expect(free).not.toBe(loaded.resources[0])
    expect(loaded.resources[0]!.metadata.namespace).toBeUndefined()
    expect(sourceOf(free)?.locate(['spec', 'hosts'])).toEqual({ file: 'team.yaml', line: 4, column: 9 })
    expect(placed.resources[1]).toBe(loaded.resources[1])
  })

  it("refuses a resource of another namespace at its metadata.namespace, with kubectl's advice", () => {
    const placed = inNamespace(loaded.resources, 'team', '-n')
    expect(placed.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'PTC1007',
        message:
          'the namespace from the provided object "other" does not match the namespace "team" given with -n; pass -n other for this resource, or leave its metadata.namespace out',
        resource: { kind: 'DestinationRule', namespace: 'other', name: 'elsewhere' },
        path: 'metadata.namespace',
        source: { file: 'team.yaml', line: 17, column: 3 },
      },
    ])
    expect(inNamespace(loaded.resources, 'other').diagnostics.map((d) => d.resource?.name)).toEqual([
      'pinned',
    ])
  })

  it('refuses a namespace that is not a DNS-1123 label, placing nothing', () => {
    for (const bad of ['Team', 'a_b', '', 'x'.repeat(64)]) {
      const placed = inNamespace(loaded.resources, bad)
      expect(placed.diagnostics).toHaveLength(1)
      expect(placed.diagnostics[0]).toMatchObject({ severity: 'error', code: 'PTC1016' })
      expect(placed.diagnostics[0]!.message).toContain(`"${bad}" given with --namespace`)
      expect(placed.resources).toEqual(loaded.resources)
    }
  })
})
