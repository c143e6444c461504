import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import type { Diagnostic } from '../diagnostics/diagnostic.js'
import { parseResources } from './parse.js'
import { sourceOf } from './source.js'

const seed = readFileSync(new URL('../resources/testdata/seed.yaml', import.meta.url), 'utf8')
const full = readFileSync(new URL('../resources/testdata/full.yaml', import.meta.url), 'utf8')

/** `line:column code path` of each diagnostic, the shape most tests compare. */
const brief = (ds: readonly Diagnostic[]) =>
  ds.map((d) => `${d.source?.line}:${d.source?.column} ${d.code} ${d.path ?? ''}`.trim())

const VS = `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
  - "*"
  gateways:
  - httpbin-gateway
  http:
  - mach:
    - uri:
        prefix: /status
    route:
    - destination:
        port:
          number: 8000
        host: httpbin
`

describe('parseResources', () => {
  test('loads the seed scenario with no findings, in document order', () => {
    const { resources, diagnostics } = parseResources(seed, 'seed.yaml')
    expect(diagnostics).toEqual([])
    expect(resources.map((r) => `${r.kind}/${r.metadata.name}`)).toEqual([
      'Gateway/httpbin-gateway',
      'VirtualService/httpbin',
      'ServiceEntry/httpbin',
      'Secret/istio-ingressgateway-certs',
    ])
  })

  test('loads the full-featured fixture with no findings', () => {
    const { resources, diagnostics } = parseResources(full, 'full.yaml')
    expect(diagnostics).toEqual([])
    expect(resources).toHaveLength(8)
  })

  test('unknown field: did-you-mean, resource, path and exact position of the key', () => {
    const { resources, diagnostics } = parseResources(VS, 'vs.yaml')
    expect(resources).toEqual([])
    expect(diagnostics).toEqual([
      {
        severity: 'error',
        code: 'PTC1010',
        message: 'unknown field "mach" in spec.http[0] (did you mean "match"?)',
        resource: { kind: 'VirtualService', namespace: 'default', name: 'httpbin' },
        path: 'spec.http[0].mach',
        source: { file: 'vs.yaml', line: 11, column: 5 },
      },
    ])
  })

  test('unknown top-level key and unknown key without a close match', () => {
    const text =
      'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a}\nspecs: {}\nspec:\n  host: a\n  zzzzzz: 1\n'
    const { diagnostics } = parseResources(text, 'dr.yaml')
    expect(brief(diagnostics)).toEqual(['4:1 PTC1010 specs', '7:3 PTC1010 spec.zzzzzz'])
    expect(diagnostics[0]?.message).toBe('unknown field "specs" at the top level (did you mean "spec"?)')
    expect(diagnostics[1]?.message).toBe('unknown field "zzzzzz" in spec')
  })

  test('wrong types name the wanted and the found type', () => {
    const text = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: se}
spec:
  hosts: api.example.com
  ports:
  - number: "80"
    name: http
  - number: 80.5
    name: 7
  endpoints:
  - address: 1.2.3.4
    labels: {version: 1}
`
    const { diagnostics } = parseResources(text, 'se.yaml')
    expect(brief(diagnostics)).toEqual([
      '5:3 PTC1011 spec.hosts',
      '7:5 PTC1011 spec.ports[0].number',
      '9:5 PTC1011 spec.ports[1].number',
      '10:5 PTC1011 spec.ports[1].name',
      '13:14 PTC1011 spec.endpoints[0].labels.version',
    ])
    expect(diagnostics.map((d) => d.message)).toEqual([
      'hosts must be a list, got string "api.example.com"',
      'number must be an integer, got string "80"',
      'number must be an integer, got number 80.5',
      'name must be a string, got number 7',
      'version must be a string, got number 1',
    ])
  })

  test('missing required field points at the nearest existing parent', () => {
    const text =
      'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec:\n  http:\n  - route:\n    - weight: 1\n'
    const { diagnostics } = parseResources(text, 'vs.yaml')
    expect(brief(diagnostics)).toEqual(['7:7 PTC1012 spec.http[0].route[0].destination'])
    expect(diagnostics[0]?.message).toBe('missing required field "destination"')
  })

  test('bad enum lists the allowed values', () => {
    const text =
      'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec:\n  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: ["*"]\n    tls:\n      mode: simple\n'
    const { diagnostics } = parseResources(text, 'gw.yaml')
    expect(brief(diagnostics)).toEqual(['9:7 PTC1013 spec.servers[0].tls.mode'])
    expect(diagnostics[0]?.message).toBe(
      'mode: "simple" is not one of PASSTHROUGH, SIMPLE, MUTUAL, AUTO_PASSTHROUGH, ISTIO_MUTUAL, OPTIONAL_MUTUAL (did you mean "SIMPLE"?)',
    )
  })

  test('oneof: the second key is reported at its own position', () => {
    const text =
      'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec:\n  http:\n  - match:\n    - uri: {exact: /a, prefix: /b}\n    route: [{destination: {host: a}}]\n'
    const { diagnostics } = parseResources(text, 'vs.yaml')
    expect(brief(diagnostics)).toEqual(['7:24 PTC1014 spec.http[0].match[0].uri.prefix'])
    expect(diagnostics[0]?.message).toBe(
      'only one of exact, prefix, regex may be set (found exact and prefix)',
    )
  })

  test('bad durations name the field', () => {
    const text =
      'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec:\n  http:\n  - route: [{destination: {host: a}}]\n    timeout: 10\n    retries: {perTryTimeout: 1d}\n'
    const { diagnostics } = parseResources(text, 'vs.yaml')
    expect(brief(diagnostics)).toEqual([
      '7:5 PTC1015 spec.http[0].timeout',
      '8:15 PTC1015 spec.http[0].retries.perTryTimeout',
    ])
    expect(diagnostics[0]?.message).toMatch(/^bad Duration for timeout: .*got number 10$/)
    expect(diagnostics[1]?.message).toMatch(/^bad Duration for perTryTimeout: string "1d" is not a duration/)
  })

  test('metadata problems are values (PTC1016) or missing fields (PTC1012)', () => {
    const text =
      'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: Web_GW, namespace: a.b}\nspec: {}\n---\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {}\nspec: {}\n'
    const { diagnostics } = parseResources(text, 'gw.yaml')
    expect(brief(diagnostics)).toEqual([
      '3:12 PTC1016 metadata.name',
      '3:26 PTC1016 metadata.namespace',
      '8:1 PTC1012 metadata.name',
    ])
    expect(diagnostics[2]?.resource).toBeUndefined()
  })

  test('multi-document: a syntax error skips only its document', () => {
    const text = `${VS.replace('mach', 'match')}---\nfoo: [1, 2\n---\n# only a comment\n---\n${seed}`
    const { resources, diagnostics } = parseResources(text, 'multi.yaml')
    expect(resources.map((r) => r.metadata.name)).toEqual([
      'httpbin',
      'httpbin-gateway',
      'httpbin',
      'httpbin',
      'istio-ingressgateway-certs',
    ])
    // The seed's VirtualService has the same name as the first one: a duplicate warning.
    expect(diagnostics.map((d) => d.code)).toEqual(['PTC1001', 'PTC1006'])
    expect(diagnostics[1]?.message).toBe(
      'VirtualService default/httpbin is defined more than once; the later definition replaces the earlier one (first defined at multi.yaml:1:1)',
    )
    expect(diagnostics[0]?.source?.file).toBe('multi.yaml')
    expect(diagnostics[0]?.source?.line).toBeGreaterThanOrEqual(20)
    expect(diagnostics[0]?.message).toMatch(/^YAML syntax error: /)
  })

  test('duplicate keys are syntax errors, as in strict Kubernetes decoding', () => {
    const { diagnostics } = parseResources('kind: Gateway\nkind: Gateway\n', 'dup.yaml')
    expect(brief(diagnostics)).toEqual(['2:1 PTC1001'])
  })

  test('empty text and empty documents give nothing', () => {
    expect(parseResources('', 'e.yaml')).toEqual({ resources: [], diagnostics: [], rejected: [] })
    expect(parseResources('---\n---\n# c\n...\n', 'e.yaml')).toEqual({
      resources: [],
      diagnostics: [],
      rejected: [],
    })
  })

  test('kinds Portico does not handle are warnings naming the document; wrong apiVersion is an error', () => {
    const text = `apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: UDPRoute
metadata: {name: k8s-udp}
spec: {}
---
apiVersion: networking.istio.io/v2
kind: Gateway
metadata: {name: g}
spec: {}
---
kind: gateway
apiVersion: networking.istio.io/v1
---
apiVersion: v1
metadata: {name: x}
---
- just
- a list
`
    const { resources, diagnostics } = parseResources(text, 'k.yaml')
    expect(resources).toEqual([])
    expect(diagnostics.map((d) => `${d.severity} ${d.code} ${d.source?.line}`)).toEqual([
      'warning PTC1004 2',
      'warning PTC1004 6',
      'error PTC1005 10',
      'warning PTC1004 15',
      'error PTC1003 18',
      'error PTC1003 21',
    ])
    expect(diagnostics[0]?.message).toBe('kind ConfigMap is not handled by Portico; ignored (document 1)')
    expect(diagnostics[0]?.resource).toEqual({ kind: 'ConfigMap', namespace: 'default', name: 'cfg' })
    expect(diagnostics[2]?.message).toBe(
      'apiVersion "networking.istio.io/v2" does not serve Gateway; expected networking.istio.io/v1alpha3 or networking.istio.io/v1beta1 or networking.istio.io/v1 (document 3)',
    )
    expect(diagnostics[3]?.message).toContain('(did you mean "Gateway"?)')
  })

  test('kind: List is unpacked; positions stay inside the items', () => {
    const text = `apiVersion: v1
kind: List
items:
- apiVersion: networking.istio.io/v1
  kind: DestinationRule
  metadata: {name: ok}
  spec: {host: a}
- apiVersion: networking.istio.io/v1
  kind: DestinationRule
  metadata: {name: bad}
  spec:
    host: a
    subsets: [{nme: v1}]
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: svc}
`
    const { resources, diagnostics } = parseResources(text, 'list.yaml')
    expect(resources.map((r) => r.metadata.name)).toEqual(['ok'])
    expect(brief(diagnostics)).toEqual([
      '13:15 PTC1012 spec.subsets[0].name',
      '13:16 PTC1010 spec.subsets[0].nme',
      '15:3 PTC1004 kind',
    ])
    expect(diagnostics[2]?.message).toBe('kind ConfigMap is not handled by Portico; ignored (items[2])')
    const ok = resources[0]
    expect(ok && sourceOf(ok)?.locate(['spec', 'host'])).toEqual({ file: 'list.yaml', line: 7, column: 10 })
  })

  test('JSON text loads with positions', () => {
    const json = JSON.stringify(
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'Gateway',
        metadata: { name: 'g' },
        spec: { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'], tsl: {} }] },
      },
      null,
      2,
    )
    const { diagnostics } = parseResources(json, 'gw.json')
    expect(brief(diagnostics)).toEqual(['18:9 PTC1010 spec.servers[0].tsl'])
    expect(diagnostics[0]?.message).toContain('did you mean "tls"?')
    const broken = parseResources('{"kind": "Gateway",', 'broken.json')
    expect(broken.diagnostics.map((d) => d.code)).toEqual(['PTC1001'])
    expect(broken.diagnostics[0]?.message).toMatch(/^JSON syntax error/)
  })

  test('sourceOf locates fields, list items and missing paths', () => {
    const { resources } = parseResources(seed, 'seed.yaml')
    const [gateway, vs] = resources
    const gw = gateway && sourceOf(gateway)
    expect(gw?.file).toBe('seed.yaml')
    expect(gw?.locate([])).toEqual({ file: 'seed.yaml', line: 2, column: 1 })
    expect(gw?.locate(['spec', 'servers', 1, 'tls', 'mode'])).toEqual({
      file: 'seed.yaml',
      line: 21,
      column: 7,
    })
    expect(gw?.locate(['spec', 'servers', 1])).toEqual({ file: 'seed.yaml', line: 16, column: 5 })
    expect(gw?.locate(['spec', 'servers', 1, 'tls', 'credentialName'])).toEqual({
      file: 'seed.yaml',
      line: 20,
      column: 5,
    })
    const v = vs && sourceOf(vs)
    expect(v?.locate(['spec', 'http', 0, 'match', 1, 'uri', 'prefix'])).toEqual({
      file: 'seed.yaml',
      line: 41,
      column: 9,
    })
    expect(sourceOf({ ...vs })).toBeUndefined()
  })

  test('anchors, aliases and merge keys load, positions follow the text', () => {
    const text = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: a}
spec:
  host: a
  trafficPolicy:
    connectionPool: &pool
      tcp: {maxConnections: 10}
  subsets:
  - name: v1
    trafficPolicy:
      connectionPool: *pool
  - name: v2
    labels: &labels {version: v2}
    trafficPolicy:
      loadBalancer:
        <<: {simple: RANDOM}
        warmupDurationSecs: 10s
`
    const { resources, diagnostics } = parseResources(text, 'a.yaml')
    expect(diagnostics).toEqual([])
    const dr = resources[0]
    if (dr?.kind !== 'DestinationRule') throw new Error('expected a DestinationRule')
    expect(dr.spec.subsets?.[0]?.trafficPolicy?.connectionPool?.tcp?.maxConnections).toBe(10)
    expect(dr.spec.subsets?.[1]?.trafficPolicy?.loadBalancer).toEqual({
      simple: 'RANDOM',
      warmupDurationSecs: '10s',
    })
    const locate = sourceOf(dr)?.locate
    expect(locate?.(['spec', 'subsets', 0, 'trafficPolicy', 'connectionPool'])).toMatchObject({
      line: 12,
      column: 7,
    })
    expect(locate?.(['spec', 'subsets', 1, 'trafficPolicy', 'loadBalancer', 'simple'])).toMatchObject({
      line: 17,
      column: 14,
    })
  })

  test('recursive aliases are reported, not followed', () => {
    const { resources, diagnostics } = parseResources('a: &x\n  b: *x\n', 'r.yaml')
    expect(resources).toEqual([])
    expect(diagnostics.map((d) => d.code)).toEqual(['PTC1001'])
  })

  test('alias bombs are refused without expanding them', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for (let i = 1; i < 12; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      )
    const { diagnostics } = parseResources(bomb.join('\n'), 'bomb.yaml')
    expect(diagnostics.map((d) => d.code)).toEqual(['PTC1001'])
  })

  test('CRLF line endings keep the same lines and columns', () => {
    const crlf = VS.replace(/\n/g, '\r\n')
    const { diagnostics } = parseResources(crlf, 'crlf.yaml')
    expect(brief(diagnostics)).toEqual(['11:5 PTC1010 spec.http[0].mach'])
  })

  test('a byte-order mark is ignored', () => {
    expect(parseResources(`\uFEFF${seed}`, 'bom.yaml').diagnostics).toEqual([])
  })
})
