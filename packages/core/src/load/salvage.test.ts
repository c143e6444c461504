import { describe, expect, it } from 'vitest'
import { parseResources } from './parse.js'
import { salvageResource } from './salvage.js'

const VS = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'web' },
  spec: {
    hosts: ['web.example.com'],
    gateways: ['edge'],
    http: [{ mach: [{ uri: { prefix: '/' } }], route: [{ destination: { host: 'web' } }] }],
  },
}

describe('salvageResource', () => {
  it('leaves out an unknown field and keeps the rest where it was', () => {
    expect(salvageResource(VS)).toEqual({
      ...VS,
      spec: { ...VS.spec, http: [{ route: [{ destination: { host: 'web' } }] }] },
    })
  })

  it('leaves out fields of the wrong type or value, and a list with a refused item', () => {
    const se = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: 'api' },
      spec: {
        hosts: ['api.example.com'],
        resolution: 'dns',
        ports: [{ number: 'eighty', name: 'http' }],
        exportTo: ['.'],
      },
    }
    expect(salvageResource(se)).toEqual({ ...se, spec: { hosts: ['api.example.com'], exportTo: ['.'] } })
  })

  it('gives nothing when a required field is missing or refused, or for a kind it does not read', () => {
    const se = { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'x' } }
    expect(salvageResource({ ...se, spec: { ports: [] } })).toBeUndefined()
    expect(salvageResource({ ...se, spec: { hosts: ['a.example.com', 5] } })).toBeUndefined()
    expect(salvageResource({ ...se, metadata: {}, spec: { hosts: ['a.example.com'] } })).toBeUndefined()
    expect(salvageResource({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } })).toBeUndefined()
    expect(
      salvageResource({ ...se, apiVersion: 'networking.istio.io/v9', spec: { hosts: ['a'] } }),
    ).toBeUndefined()
    expect(salvageResource('text')).toBeUndefined()
  })
})

describe('parseResources', () => {
  it('returns what the schema refused, salvaged and positioned, apart from the resources', () => {
    const text = [
      'apiVersion: networking.istio.io/v1',
      'kind: VirtualService',
      'metadata: { name: web }',
      'spec:',
      '  hosts: [web.example.com]',
      '  gateways: [edge]',
      '  http:',
      '  - mach: [{ uri: { prefix: / } }]',
      '    route: [{ destination: { host: web } }]',
      '',
    ].join('\n')
    const result = parseResources(text, 'web.yaml')
    expect(result.resources).toEqual([])
    expect(result.diagnostics.map((d) => `${d.severity} ${d.path}`)).toEqual(['error spec.http[0].mach'])
    expect(result.rejected).toHaveLength(1)
  })
})
