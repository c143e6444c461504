import { describe, expect, test } from 'vitest'
import { checkResource, checkResources } from './check.js'
import { sourceOf } from './source.js'

const gateway = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'Gateway',
  metadata: { name: 'gw', namespace: 'istio-system' },
  spec: {
    selector: { istio: 'ingressgateway' },
    servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }],
  },
}

describe('checkResource', () => {
  test('a valid object comes back equal, without a source', () => {
    const { value, diagnostics } = checkResource(gateway)
    expect(diagnostics).toEqual([])
    expect(value).toEqual(gateway)
    expect(value && sourceOf(value)).toBeUndefined()
  })

  test('same diagnostics as the loader, without positions', () => {
    const bad = {
      ...gateway,
      spec: { servers: [{ port: { number: '80', name: 'http', protocol: 'HTTP' }, hots: ['*'] }] },
    }
    const { value, diagnostics } = checkResource(bad)
    expect(value).toBeUndefined()
    expect(diagnostics).toEqual([
      {
        severity: 'error',
        code: 'PTC1011',
        message: 'number must be an integer, got string "80"',
        resource: { kind: 'Gateway', namespace: 'istio-system', name: 'gw' },
        path: 'spec.servers[0].port.number',
      },
      {
        severity: 'error',
        code: 'PTC1012',
        message: 'missing required field "hosts"',
        resource: { kind: 'Gateway', namespace: 'istio-system', name: 'gw' },
        path: 'spec.servers[0].hosts',
      },
      {
        severity: 'error',
        code: 'PTC1010',
        message: 'unknown field "hots" in spec.servers[0] (did you mean "hosts"?)',
        resource: { kind: 'Gateway', namespace: 'istio-system', name: 'gw' },
        path: 'spec.servers[0].hots',
      },
    ])
  })

  test.each([null, 42, 'text', [gateway], new Map()])('%j is not a Kubernetes object', (input) => {
    const { value, diagnostics } = checkResource(input)
    expect(value).toBeUndefined()
    expect(diagnostics.map((d) => d.code)).toEqual(['PTC1003'])
  })

  test('unhandled kinds warn, wrong apiVersions fail, missing kind fails', () => {
    expect(
      checkResource({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }).diagnostics[0],
    ).toMatchObject({
      severity: 'warning',
      code: 'PTC1004',
      message: 'kind Deployment is not handled by Portico; ignored',
    })
    expect(checkResource({ ...gateway, apiVersion: undefined }).diagnostics[0]).toMatchObject({
      code: 'PTC1005',
      message:
        'Gateway has no apiVersion; expected networking.istio.io/v1alpha3 or networking.istio.io/v1beta1 or networking.istio.io/v1',
    })
    expect(checkResource({ ...gateway, kind: undefined }).diagnostics[0]).toMatchObject({
      code: 'PTC1003',
      message: 'document has no kind',
    })
    expect(checkResource({ ...gateway, kind: 7 }).diagnostics[0]).toMatchObject({
      code: 'PTC1003',
      message: 'kind must be a string, got number 7',
    })
  })

  test('a cyclic object is a diagnostic, not a crash', () => {
    const cyclic: Record<string, unknown> = { ...gateway, spec: { servers: [] as unknown[] } }
    ;(cyclic.spec as { servers: unknown[] }).servers.push(cyclic.spec)
    const { value, diagnostics } = checkResource(cyclic)
    expect(value).toBeUndefined()
    expect(diagnostics.length).toBeGreaterThan(0)
    expect(diagnostics.every((d) => d.severity === 'error')).toBe(true)
  })
})

describe('checkResources', () => {
  test('unpacks lists and keeps order', () => {
    const other = { ...gateway, metadata: { name: 'second' } }
    const { resources, diagnostics } = checkResources([
      gateway,
      {
        apiVersion: 'v1',
        kind: 'List',
        items: [other, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 's' } }],
      },
      { apiVersion: 'v1', kind: 'List', items: 'no' },
    ])
    expect(resources.map((r) => r.metadata.name)).toEqual(['gw', 'second'])
    expect(diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
      'PTC1004 kind ConfigMap is not handled by Portico; ignored (items[1])',
      'PTC1003 List items must be a list, got string "no"',
    ])
  })
})

describe('YAML 1.1 booleans', () => {
  test('yes/no are text in YAML 1.2; the message says how to write a boolean', () => {
    const { diagnostics } = checkResource({
      ...gateway,
      spec: {
        servers: [
          {
            port: { number: 80, name: 'http', protocol: 'HTTP' },
            hosts: ['*'],
            tls: { httpsRedirect: 'yes' },
          },
        ],
      },
    })
    expect(diagnostics.map((d) => d.message)).toEqual([
      'httpsRedirect must be a boolean (true or false), got string "yes" (YAML 1.2 reads yes/no/on/off as text: write true or false)',
    ])
  })
})

describe('null fields', () => {
  test('a field set to null is absent, as Kubernetes prunes it; nulls in lists are errors', () => {
    const withNulls = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'vs', creationTimestamp: null, labels: { a: null } },
      spec: {
        hosts: null,
        gateways: ['gw'],
        http: [{ match: null, route: [{ destination: { host: 'a', subset: null } }] }],
      },
    }
    const { value, diagnostics } = checkResource(withNulls)
    expect(diagnostics).toEqual([])
    expect(value).toEqual({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'vs', labels: {} },
      spec: { gateways: ['gw'], http: [{ route: [{ destination: { host: 'a' } }] }] },
    })
    expect(withNulls.spec.hosts).toBeNull() // the input is not modified
    const required = checkResource({
      ...withNulls,
      spec: { http: [{ route: [{ destination: { host: null } }] }] },
    })
    expect(required.diagnostics.map((d) => `${d.code} ${d.path}`)).toEqual([
      'PTC1012 spec.http[0].route[0].destination.host',
    ])
    const inList = checkResource({
      ...withNulls,
      spec: { hosts: [null], http: [{ route: [{ destination: { host: 'a' } }] }] },
    })
    expect(inList.diagnostics.map((d) => `${d.code} ${d.path} ${d.message}`)).toEqual([
      'PTC1011 spec.hosts[0] hosts[0] must be a string, got null',
    ])
  })
})
