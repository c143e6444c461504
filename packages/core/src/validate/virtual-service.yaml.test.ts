import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parseResources } from '../load/index.js'
import type { VirtualServiceResource } from '../resources/index.js'
import { validateVirtualService } from './virtual-service.js'

function load(text: string, file = 'vs.yaml'): VirtualServiceResource {
  const { resources, diagnostics } = parseResources(text, file)
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([])
  const [resource] = resources
  if (resource?.kind !== 'VirtualService') throw new Error('expected one VirtualService')
  return resource as VirtualServiceResource
}

const header = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
  namespace: shop
`

describe('validateVirtualService on loaded YAML', () => {
  it('accepts the httpbin example of the ingress task', () => {
    const url = new URL('../../../../examples/httpbin/virtualservice.yaml', import.meta.url)
    const text = readFileSync(fileURLToPath(url), 'utf8')
    expect(validateVirtualService(load(text, 'virtualservice.yaml'))).toEqual([])
  })

  it('points each finding at its field in the file', () => {
    const text = `${header}spec:
  hosts:
  - "*"
  http:
  - match:
    - uri:
        regex: "^/a(?=b)"
    route:
    - destination:
        host: web
        subset: v1.0
`
    const diagnostics = validateVirtualService(load(text))
    expect(
      diagnostics.map((d) => [d.code, d.path, d.source?.file, d.source?.line, d.source?.column]),
    ).toEqual([
      ['PTC2303', 'spec.hosts[0]', 'vs.yaml', 8, 5],
      ['PTC2332', 'spec.http[0].match[0].uri.regex', 'vs.yaml', 12, 9],
      ['PTC2352', 'spec.http[0].route[0].destination.subset', 'vs.yaml', 16, 9],
    ])
    expect(diagnostics[0]?.resource).toEqual({ kind: 'VirtualService', namespace: 'shop', name: 'web' })
    expect(diagnostics[1]?.message).toMatch(
      /^"uri": error parsing regexp: .*; Istio uses RE2 style regex-based match/,
    )
  })

  it('places a finding about an absent field at its nearest parent', () => {
    const text = `${header}spec:
  hosts: [a.example.com]
  gateways: [gw]
  http:
  - match:
    - uri: {prefix: /a}
`
    const [finding] = validateVirtualService(load(text))
    expect(finding?.code).toBe('PTC2320')
    expect(finding?.path).toBe('spec.http[0]')
    expect(finding?.source?.line).toBe(10)
  })

  it('reports a rule after a catch-all as a warning with its line', () => {
    const text = `${header}spec:
  hosts: [a.example.com]
  gateways: [gw]
  http:
  - route:
    - destination: {host: web}
  - match:
    - uri: {prefix: /late}
    route:
    - destination: {host: web}
`
    const diagnostics = validateVirtualService(load(text))
    expect(diagnostics.map((d) => [d.severity, d.code, d.path, d.source?.line])).toEqual([
      ['warning', 'IST0130', 'spec.http[1]', 12],
    ])
    expect(diagnostics[0]?.message).toBe(
      'VirtualService rule #1 not used (route without matches defined before)',
    )
  })
})
