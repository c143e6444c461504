import { createCertificate, seedYamlDocuments, tlsSecretYaml } from '@portico/testing'
import { describe, expect, it } from 'vitest'
import { parseResources } from '../load/index.js'
import type { Resource } from '../resources/index.js'
import { analyze } from './analyze.js'
import { validate, validateResource } from './index.js'
import { brief } from './test-helpers.js'

const load = (text: string) => {
  const { resources, diagnostics } = parseResources(text, 'config.yaml')
  expect(diagnostics).toEqual([])
  return resources
}

// The seed's Gateway and ServiceEntry (httpbin's endpoint labelled version v1), and a subset v1.
const [seedGateway, , seedServiceEntry] = seedYamlDocuments(1, {
  httpbinPort: 18001,
  httpbinLabels: { version: 'v1' },
})
const GATEWAY = `${seedGateway}---
${seedServiceEntry}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: httpbin }
spec:
  host: httpbin
  subsets: [{ name: v1, labels: { version: v1 } }]
`

const vs = (spec: string) => `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: httpbin }
spec:
${spec}`

describe('analyze', () => {
  it('finds nothing wrong with the seed scenario', () => {
    const resources = load(
      GATEWAY +
        vs(`  hosts: ["*"]
  gateways: [httpbin-gateway]
  http:
  - match: [{ uri: { prefix: /status } }]
    route: [{ destination: { host: httpbin, port: { number: 8000 }, subset: v1 } }]`),
    )
    expect(validate(resources)).toEqual([])
  })

  it.each<[string, string, string[]]>([
    [
      'unknown gateway',
      `  hosts: ["*"]
  gateways: [other/gw, mesh]
  http: [{ route: [{ destination: { host: httpbin } }] }]`,
      [
        'W IST0101 spec.gateways[0] | Referenced gateway not found: "other/gw"',
        'W IST0132 spec.gateways[0] | one or more host [*] defined in VirtualService default/httpbin not found in Gateway other/gw.',
      ],
    ],
    [
      'host not in gateway',
      `  hosts: [other.example.com]
  gateways: [httpbin-gateway]
  http: [{ route: [{ destination: { host: httpbin } }] }]`,
      [
        'W IST0132 spec.gateways[0] | one or more host [other.example.com] defined in VirtualService default/httpbin not found in Gateway default/httpbin-gateway.',
      ],
    ],
    [
      'unknown destination host, mirror host and subset',
      `  hosts: [httpbin.example.com]
  gateways: [httpbin-gateway]
  http:
  - route: [{ destination: { host: nope } }, { destination: { host: httpbin, subset: v9 } }]
    mirror: { host: mirror.example.com }
  tcp:
  - route: [{ destination: { host: db.example.com } }]`,
      [
        'W IST0101 spec.http[0].route[0].destination.host | Referenced host not found: "nope"',
        'W IST0101 spec.http[0].route[1].destination.subset | Referenced host+subset in destinationrule not found: "httpbin+v9"',
        'W IST0101 spec.http[0].mirror.host | Referenced mirror host not found: "mirror.example.com"',
        'W IST0101 spec.tcp[0].route[0].destination.host | Referenced host not found: "db.example.com"',
      ],
    ],
  ])('%s', (_title, spec, expected) => {
    const resources = load(GATEWAY + vs(spec))
    const found = analyze(resources)
    expect(found.map(brief)).toEqual(expected)
    expect(found.every((d) => d.severity === 'warning')).toBe(true)
    expect(found.every((d) => d.source?.file === 'config.yaml')).toBe(true)
  })

  it('positions a finding at the field in the file', () => {
    const resources = load(
      GATEWAY +
        vs(
          '  hosts: ["*"]\n  gateways: [missing]\n  http: [{ route: [{ destination: { host: httpbin } }] }]',
        ),
    )
    const [d] = analyze(resources)
    const text = GATEWAY + vs('')
    expect(d?.source).toEqual({ file: 'config.yaml', line: text.split('\n').length + 1, column: 14 })
  })

  it('accepts destinations from knownHosts', () => {
    const resources = load(
      GATEWAY +
        vs(
          '  hosts: ["*"]\n  gateways: [httpbin-gateway]\n  http: [{ route: [{ destination: { host: api } }, { destination: { host: x.internal } }] }]',
        ),
    )
    expect(analyze(resources).map(brief)).toHaveLength(2)
    expect(analyze(resources, { knownHosts: ['api.default.svc.cluster.local', '*.internal'] })).toEqual([])
  })

  it('honours ns/host server entries', () => {
    const resources = load(`
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw, namespace: edge }
spec:
  servers:
  - port: { number: 80, name: http, protocol: HTTP }
    hosts: [./a.example.com, team/b.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: a, namespace: edge }
spec:
  hosts: [a.example.com]
  gateways: [gw]
  http: [{ directResponse: { status: 200 } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: b, namespace: other }
spec:
  hosts: [b.example.com]
  gateways: [edge/gw]
  http: [{ directResponse: { status: 200 } }]
`)
    expect(analyze(resources).map(brief)).toEqual([
      'W IST0132 spec.gateways[0] | one or more host [b.example.com] defined in VirtualService other/b not found in Gateway edge/gw.',
    ])
  })

  it('reports a credentialName without a Secret, and accepts one in istio-system', () => {
    const gateway = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw }
spec:
  servers:
  - port: { number: 443, name: https, protocol: HTTPS }
    hosts: [a.example.com]
    tls: { mode: SIMPLE, credentialName: cred }
`
    expect(analyze(load(gateway)).map(brief)).toEqual([
      'W IST0101 spec.servers[0].tls.credentialName | Referenced credentialName not found: "cred"',
    ])
    const pair = createCertificate({ commonName: 'a.example.com' })
    const secret = `---\n${tlsSecretYaml({ name: 'cred', namespace: 'istio-system', ...pair })}`
    expect(analyze(load(gateway + secret))).toEqual([])
  })

  it('reports conflicting gateways (IST0145) only for the same selector, port, host and bind', () => {
    const gw = (name: string, host: string, selector = 'istio: ingressgateway', port = 80) => `
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: ${name} }
spec:
  selector: { ${selector} }
  servers:
  - port: { number: ${port}, name: http, protocol: HTTP }
    hosts: [${host}]
`
    expect(analyze(load(gw('a', 'x.com') + gw('b', 'x.com'))).map(brief)).toEqual([
      'W IST0145 spec.servers[0] | Conflict with gateways default/b (workload selector istio=ingressgateway, port 80, hosts x.com).',
      'W IST0145 spec.servers[0] | Conflict with gateways default/a (workload selector istio=ingressgateway, port 80, hosts x.com).',
    ])
    expect(analyze(load(gw('a', 'x.com') + gw('b', 'y.com')))).toEqual([])
    expect(
      analyze(load(gw('a', 'x.com') + gw('b', 'x.com', 'app: other'))).filter((d) => d.code === 'IST0145'),
    ).toEqual([])
    expect(analyze(load(gw('a', 'x.com') + gw('b', 'x.com', 'istio: ingressgateway', 8080)))).toEqual([])
  })
})

describe('validate', () => {
  it('reports duplicate resources built in code as errors, and leaves file duplicates to the loader', () => {
    const one = vs('  hosts: [a.example.com]\n  http: [{ directResponse: { status: 200 } }]')
    const fromFile = parseResources(one + one, 'config.yaml').resources
    expect(validate(fromFile)).toEqual([])
    const first = fromFile[0] as Resource
    const copy = structuredClone(first)
    expect(validate([first, copy]).map(brief)).toEqual([
      'E PTC2290 metadata.name | VirtualService default/httpbin is defined more than once (first at config.yaml:5:13)',
    ])
    expect(validate([structuredClone(first), structuredClone(first)]).map(brief)).toEqual([
      'E PTC2290 metadata.name | VirtualService default/httpbin is defined more than once',
    ])
  })

  it('dispatches by kind and keeps analysis findings as warnings', () => {
    const resources = load(`
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: web.gw }
spec:
  servers:
  - port: { number: 80, name: http, protocol: HTTP }
    hosts: [httpbin]
${vs('  hosts: ["*"]\n  http: [{ route: [{ destination: { host: httpbin } }] }]')}`)
    expect(validate(resources).map(brief)).toEqual([
      'E PTC2000 metadata.name | invalid gateway name: "web.gw"',
      'E PTC2012 spec.servers[0].hosts[0] | short names (non FQDN) are not allowed',
      'E PTC2303 spec.hosts[0] | wildcard host * is not allowed for virtual services bound to the mesh gateway',
      'W IST0101 spec.http[0].route[0].destination.host | Referenced host not found: "httpbin"',
    ])
    expect(resources.flatMap(validateResource).every((d) => d.code !== 'IST0101')).toBe(true)
  })

  it('applies the metadata rules to VirtualServices too', () => {
    const resources = load(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web.vs
  annotations: { internal.istio.io/webhook-always-reject: "true" }
spec:
  hosts: [a.example.com]
  http: [{ directResponse: { status: 200 } }]
`)
    expect(resources.flatMap(validateResource).map(brief)).toEqual([
      'E PTC2001 metadata.annotations["internal.istio.io/webhook-always-reject"] | "internal.istio.io/webhook-always-reject" annotation found, rejecting',
    ])
  })
})
