import { describe, expect, test } from 'vitest'
import type { Diagnostic } from '../diagnostics/diagnostic.js'
import { parseResources } from '../load/parse.js'
import { createConfigStore, createSnapshot } from '../model/index.js'
import { validate } from '../validate/index.js'

const brief = (ds: readonly Diagnostic[]) =>
  ds.map((d) => `${d.source?.line}:${d.source?.column} ${d.code} ${d.path ?? ''}`.trim())

const MIXED = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web}
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 8080
    protocol: HTTP
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: httpbin}
spec:
  parentRefs: [{name: web}]
  hostnames: [httpbin.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /status}}]
    backendRefs: [{name: httpbin, port: 8000}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: grant, namespace: other}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
  to: [{group: "", kind: Service}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: istio}
spec: {controllerName: istio.io/gateway-controller}
---
apiVersion: v1
kind: Service
metadata: {name: httpbin}
spec:
  ports: [{name: http, port: 8000, targetPort: 8080}]
  selector: {app: httpbin}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: httpbin-abc
  labels: {kubernetes.io/service-name: httpbin}
addressType: IPv4
endpoints:
- addresses: [127.0.0.1]
  conditions: {ready: true}
ports: [{name: http, port: 8080, protocol: TCP}]
---
apiVersion: v1
kind: Namespace
metadata: {name: other, labels: {team: a}}
`

describe('Gateway API and Kubernetes kinds', () => {
  test('load beside Istio kinds; the two Gateways of one name are different resources', () => {
    const { resources, diagnostics } = parseResources(MIXED, 'mixed.yaml')
    expect(diagnostics).toEqual([])
    expect(resources.map((r) => `${r.apiVersion} ${r.kind}`)).toEqual([
      'networking.istio.io/v1 Gateway',
      'gateway.networking.k8s.io/v1 Gateway',
      'gateway.networking.k8s.io/v1 HTTPRoute',
      'gateway.networking.k8s.io/v1beta1 ReferenceGrant',
      'gateway.networking.k8s.io/v1 GatewayClass',
      'v1 Service',
      'discovery.k8s.io/v1 EndpointSlice',
      'v1 Namespace',
    ])
    expect(validate(resources).filter((d) => d.severity === 'error')).toEqual([])
    const snapshot = createSnapshot(resources)
    expect(snapshot.list('Gateway')).toHaveLength(1)
    expect(snapshot.list('Gateway.gateway.networking.k8s.io')).toHaveLength(1)
    expect(snapshot.get('Gateway.gateway.networking.k8s.io', 'default', 'web')?.apiVersion).toBe(
      'gateway.networking.k8s.io/v1',
    )
  })

  test('a store deletes the Gateway API Gateway by its qualified name and keeps Istio’s', () => {
    const { resources } = parseResources(MIXED, 'mixed.yaml')
    const store = createConfigStore({ resources })
    const result = store.delete([{ kind: 'gateways.gateway.networking.k8s.io', name: 'web' }])
    expect(result.ok).toBe(true)
    expect(store.snapshot.list('Gateway')).toHaveLength(1)
    expect(store.snapshot.list('Gateway.gateway.networking.k8s.io')).toHaveLength(0)
    expect(store.delete([{ kind: 'httproute', name: 'httpbin' }]).ok).toBe(true)
  })

  test('unknown fields are refused with a suggestion and their position', () => {
    const text = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  parentRef: [{name: web}]
  rules:
  - matches: [{path: {type: Prefix, value: /}}]
    backendRefs: [{name: httpbin, prot: 8000}]
`
    const { resources, diagnostics } = parseResources(text, 'r.yaml')
    expect(resources).toEqual([])
    expect(brief(diagnostics)).toEqual([
      '5:3 PTC1010 spec.parentRef',
      '7:23 PTC1013 spec.rules[0].matches[0].path.type',
      '8:35 PTC1010 spec.rules[0].backendRefs[0].prot',
    ])
    expect(diagnostics[0]?.message).toContain('did you mean "parentRefs"')
    expect(diagnostics[2]?.message).toContain('did you mean "port"')
    expect(diagnostics[0]?.resource).toEqual({ kind: 'HTTPRoute', namespace: 'default', name: 'r' })
  })

  test("the CRDs' CEL rules are reported at the field they concern", () => {
    const text = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: g}
spec:
  gatewayClassName: istio
  listeners:
  - {name: a, port: 80, protocol: HTTP, tls: {mode: Terminate, certificateRefs: [{name: c}]}}
  - {name: a, port: 443, protocol: HTTPS, tls: {mode: Terminate}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  rules:
  - matches:
    - path: {type: PathPrefix, value: foo//bar}
      headers: [{name: x, value: a}, {name: X, type: RegularExpression, value: "(a"}]
    filters:
    - type: RequestHeaderModifier
      responseHeaderModifier: {set: [{name: a, value: b}]}
    - {type: RequestRedirect, requestRedirect: {scheme: https}}
    - {type: URLRewrite, urlRewrite: {hostname: x.example}}
    backendRefs: [{name: s, port: 80}]
    timeouts: {request: 1s, backendRequest: 2s}
`
    const { resources, diagnostics } = parseResources(text, 'cel.yaml')
    expect(diagnostics).toEqual([])
    const found = validate(resources).filter((d) => d.severity === 'error')
    expect(found.map((d) => `${d.source?.line} ${d.code} ${d.path} ${d.message}`)).toEqual([
      "7 PTC2600 spec.listeners[0].tls tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']",
      '8 PTC2600 spec.listeners[1].name Listener name must be unique within the Gateway (listeners[0] is also named a)',
      '8 PTC2600 spec.listeners[1].tls certificateRefs or options must be specified when mode is Terminate',
      "16 PTC2601 spec.rules[0].matches[0].path.value value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']",
      "16 PTC2601 spec.rules[0].matches[0].path.value must not contain '//' when type one of ['Exact', 'PathPrefix']",
      '17 PTC2601 spec.rules[0].matches[0].headers[1].name header name X must be unique within a match',
      expect.stringMatching(
        /^17 PTC2603 spec\.rules\[0\]\.matches\[0\]\.headers\[1\]\.value invalid regular expression "\(a"/,
      ),
      '19 PTC2602 spec.rules[0].filters[0].type filter.requestHeaderModifier must be specified for RequestHeaderModifier filter.type',
      '20 PTC2602 spec.rules[0].filters[0].responseHeaderModifier filter.responseHeaderModifier must be nil if the filter.type is not ResponseHeaderModifier',
      '18 PTC2602 spec.rules[0].filters May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both',
      '18 PTC2602 spec.rules[0].filters RequestRedirect filter must not be used together with backendRefs',
      '24 PTC2604 spec.rules[0].timeouts.backendRequest backendRequest timeout cannot be longer than request timeout',
    ])
  })

  test('HTTPRoute and GRPCRoute: a backendRef or mirror to a Service must have a port, as the CRD says', () => {
    const text = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  rules:
  - filters:
    - {type: RequestMirror, requestMirror: {backendRef: {name: shadow}}}
    backendRefs:
    - {name: no-port}
    - {name: explicit, kind: Service, group: "", weight: 1}
    - name: filtered
      port: 80
      filters: [{type: RequestMirror, requestMirror: {backendRef: {name: m, port: 8080}}}]
    - name: mirror-missing
      port: 80
      filters: [{type: RequestMirror, requestMirror: {backendRef: {name: m}}}]
    - {name: with-port, port: 8000}
    - {name: bucket, group: storage.example.com, kind: Bucket}
    - {name: other-kind, kind: ServiceImport, group: multicluster.x-k8s.io}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: g}
spec:
  rules:
  - filters: [{type: RequestMirror, requestMirror: {backendRef: {name: shadow}}}]
    backendRefs:
    - {name: no-port}
    - {name: ok, port: 9000, filters: [{type: RequestMirror, requestMirror: {backendRef: {name: m}}}]}
`
    const { resources, diagnostics } = parseResources(text, 'ports.yaml')
    expect(diagnostics).toEqual([])
    const found = validate(resources).filter((d) => d.code === 'PTC2606')
    expect(
      found.map((d) => `${d.source?.line} ${d.severity} ${d.resource?.name} ${d.path} ${d.message}`),
    ).toEqual([
      '7 error r spec.rules[0].filters[0].requestMirror.backendRef Must have port for Service reference',
      '9 error r spec.rules[0].backendRefs[0] Must have port for Service reference',
      '10 error r spec.rules[0].backendRefs[1] Must have port for Service reference',
      '16 error r spec.rules[0].backendRefs[3].filters[0].requestMirror.backendRef Must have port for Service reference',
      '26 error g spec.rules[0].filters[0].requestMirror.backendRef Must have port for Service reference',
      '28 error g spec.rules[0].backendRefs[0] Must have port for Service reference',
      '29 error g spec.rules[0].backendRefs[1].filters[0].requestMirror.backendRef Must have port for Service reference',
    ])
  })

  test('TLSRoute and TCPRoute: unknown fields refused with a suggestion, versions served, CRD rules', () => {
    const typos = `apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: t}
spec:
  parentRefs: [{name: gw}]
  hostname: [a.example.com]
  rules:
  - backendRefs: [{name: s, port: 443, wieght: 2}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: TCPRoute
metadata: {name: c}
spec:
  rules: [{backendRefs: [{name: s, port: 9000}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: empty}
spec:
  rules: []
`
    const loaded = parseResources(typos, 'l4.yaml')
    expect(loaded.resources).toEqual([])
    expect(brief(loaded.diagnostics)).toEqual([
      '6:3 PTC1010 spec.hostname',
      '8:40 PTC1010 spec.rules[0].backendRefs[0].wieght',
      '10:1 PTC1005 apiVersion',
      '20:3 PTC1016 spec.rules',
    ])
    expect(loaded.diagnostics[0]?.message).toContain('did you mean "hostnames"')
    expect(loaded.diagnostics[1]?.message).toContain('did you mean "weight"')
    expect(loaded.diagnostics[2]?.message).toContain('gateway.networking.k8s.io/v1alpha2')

    const text = `apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: old}
spec:
  rules:
  - {name: a, backendRefs: [{name: s}]}
  - {name: a, backendRefs: [{name: s, port: 443}, {group: example.io, kind: Thing, name: x}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: new}
spec:
  rules:
  - backendRefs: [{name: s, port: 443}]
  - backendRefs: [{name: s, port: 443}]
---
apiVersion: gateway.networking.k8s.io/v1alpha3
kind: TLSRoute
metadata: {name: ip}
spec:
  hostnames: [10.0.0.1, a.example.com]
  rules: [{backendRefs: [{name: s, port: 443}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: tcp}
spec:
  parentRefs: [{name: gw}, {name: gw}]
  rules:
  - backendRefs: [{name: s, port: 9000}]
  - backendRefs: [{name: s, port: 9001}]
`
    const { resources, diagnostics } = parseResources(text, 'l4.yaml')
    expect(diagnostics).toEqual([])
    const found = validate(resources).filter((d) => d.severity === 'error')
    expect(found.map((d) => `${d.source?.line} ${d.code} ${d.path} ${d.message}`)).toEqual([
      '6 PTC2606 spec.rules[0].backendRefs[0] Must have port for Service reference',
      '7 PTC2606 spec.rules[1].name Rule name must be unique within the route',
      '13 PTC2606 spec.rules TLSRoute v1 takes one rule (should have at most 1 items)',
      '12 PTC2606 spec TLSRoute v1 requires hostnames (should have at least 1 items)',
      '21 PTC2606 spec.hostnames[0] Hostnames cannot contain an IP',
      '28 PTC2605 spec.parentRefs[1] sectionName or port must be unique when parentRefs includes 2 or more references to the same parent',
      '29 PTC2606 spec.rules TCPRoute v1 takes one rule (should have at most 1 items)',
    ])
  })

  test('Service, EndpointSlice and Endpoints are checked like the other kinds', () => {
    const text = `apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  ports: [{port: 80, targetPrt: 8080}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s-1}
addressType: IPv5
---
apiVersion: v1
kind: Endpoints
metadata: {name: s}
subsets: [{addresses: [{ip: 127.0.0.1}], ports: [{port: 8080}]}]
`
    const { resources, diagnostics } = parseResources(text, 'k.yaml')
    expect(resources.map((r) => r.kind)).toEqual(['Endpoints'])
    expect(brief(diagnostics)).toEqual(['5:22 PTC1010 spec.ports[0].targetPrt', '10:1 PTC1013 addressType'])
  })
})
