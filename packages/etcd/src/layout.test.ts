import { gatewayApiKinds, kubernetesKinds, resourceKinds } from '@portico/core'
import { describe, expect, it } from 'vitest'
import { decodeEntries, groupOf, inLayout, keyOf, pluralOf } from './layout.js'
import { directVsYaml, gatewayYaml, resources } from './test/fixtures.js'
import { parseStoreUrl } from './url.js'

describe('parseStoreUrl', () => {
  it('reads members, default port and prefix', () => {
    expect(parseStoreUrl('etcd://10.0.0.5:2379,10.0.0.6/portico/')).toEqual({
      scheme: 'etcd',
      hosts: ['10.0.0.5:2379', '10.0.0.6:2379'],
      prefix: '/portico',
      url: 'etcd://10.0.0.5:2379,10.0.0.6:2379/portico',
    })
    expect(parseStoreUrl('etcds://[::1]:2379/a/b').hosts).toEqual(['[::1]:2379'])
  })
  it.each([
    ['http://127.0.0.1:2379/p', 'etcd://HOST:PORT'],
    ['etcd://127.0.0.1:2379', 'no key prefix'],
    ['etcd://127.0.0.1:2379/', 'no key prefix'],
    ['etcd://user:pw@127.0.0.1:2379/p', 'environment'],
    ['etcd://127.0.0.1:99999/p', 'out of range'],
  ])('refuses %s', (url, message) => {
    expect(() => parseStoreUrl(url)).toThrow(message)
  })
})

describe('key layout', () => {
  it('names kinds as Kubernetes does', () => {
    expect(pluralOf('VirtualService')).toBe('virtualservices')
    expect(pluralOf('ServiceEntry')).toBe('serviceentries')
    expect(pluralOf('HTTPRoute')).toBe('httproutes')
    expect(pluralOf('GatewayClass')).toBe('gatewayclasses')
    expect(pluralOf('Policy')).toBe('policies')
    expect(pluralOf('Endpoints')).toBe('endpoints')
    expect(pluralOf('EndpointSlice')).toBe('endpointslices')
    expect(pluralOf('AuthorizationPolicy')).toBe('authorizationpolicies')
  })

  it('has the Kubernetes plural of every kind Portico reads, and moves no key but Endpoints', () => {
    // The resource names `kubectl api-resources` lists for these kinds (and Istio's and the
    // Gateway API's CRDs declare).
    const kubernetes: Record<string, string> = {
      Gateway: 'gateways',
      VirtualService: 'virtualservices',
      DestinationRule: 'destinationrules',
      ServiceEntry: 'serviceentries',
      Secret: 'secrets',
      RequestAuthentication: 'requestauthentications',
      AuthorizationPolicy: 'authorizationpolicies',
      GatewayClass: 'gatewayclasses',
      HTTPRoute: 'httproutes',
      GRPCRoute: 'grpcroutes',
      TLSRoute: 'tlsroutes',
      TCPRoute: 'tcproutes',
      ReferenceGrant: 'referencegrants',
      Service: 'services',
      EndpointSlice: 'endpointslices',
      Endpoints: 'endpoints',
      Namespace: 'namespaces',
    }
    const read = new Set<string>([...resourceKinds, ...gatewayApiKinds, ...kubernetesKinds])
    for (const kind of read) expect(kubernetes[kind], `${kind} needs its plural here`).toBeDefined()
    for (const [kind, plural] of Object.entries(kubernetes)) expect(pluralOf(kind), kind).toBe(plural)
    // The rule the keys were made with before the table: a kind's key moves only where it was wrong.
    const before = (kind: string) => {
      const lower = kind.toLowerCase()
      if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`
      if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`
      return `${lower}s`
    }
    const moved = [...read].filter((kind) => pluralOf(kind) !== before(kind))
    expect(moved).toEqual(['Endpoints'])
    expect(groupOf('networking.istio.io/v1beta1')).toBe('networking.istio.io')
    expect(groupOf('v1')).toBe('')
  })

  it('decodes what it encodes, in creation order, and says what it leaves out', () => {
    const [gw, vs] = resources(gatewayYaml(), directVsYaml('hello', 'hi'))
    const p = '/portico'
    const entries = [
      { key: keyOf(p, vs!), value: JSON.stringify(vs), modRevision: 3, createRevision: 3 },
      { key: keyOf(p, gw!), value: JSON.stringify(gw), modRevision: 5, createRevision: 2 },
      { key: `${p}/notes`, value: 'hello', modRevision: 4, createRevision: 4 },
      {
        key: `${p}/networking.istio.io/virtualservices/other/hello`,
        value: JSON.stringify(vs),
        modRevision: 6,
        createRevision: 6,
      },
      {
        key: `${p}/networking.istio.io/gateways/default/broken`,
        value: '{"kind":',
        modRevision: 7,
        createRevision: 7,
      },
    ]
    const decoded = decodeEntries(p, entries)
    expect(decoded.resources.map((r) => r.metadata.name)).toEqual(['web', 'hello'])
    expect(decoded.diagnostics.map((d) => [d.severity, d.code])).toEqual([
      ['warning', 'PTC4300'],
      ['error', 'PTC4301'],
      ['error', 'PTC4301'],
    ])
    expect(decoded.diagnostics[1]?.message).toContain(
      'whose key is /portico/networking.istio.io/virtualservices/default/hello',
    )
    expect(inLayout(p, '/portico/secrets/istio-system/x')).toBe(true)
    expect(inLayout(p, '/portico-other/secrets/istio-system/x')).toBe(false)
  })
})
