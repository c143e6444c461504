import { describe, expect, test } from 'vitest'
import { parseResources } from '../load/parse.js'
import { describeRoutes, formatRoutes } from './describe.js'
import { formatGatewayApiStatus } from './gateway-api.js'
import { compileResources, type TestResource } from './test-fixtures.js'
import type { CompiledConfig } from './types.js'

// TLSRoute and TCPRoute translate into the `tls` and `tcp` rules of Istio VirtualServices on
// TLS (Passthrough) and TCP servers, compiled by the same compiler as Istio's own.

const load = (text: string) => {
  const { resources, diagnostics } = parseResources(text, 'l4.yaml')
  expect(diagnostics).toEqual([])
  return resources as unknown as TestResource[]
}

const service = (name: string, namespace: string, port: number, target: number) => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec: {ports: [{name: p, port: ${port}}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${name}-1, namespace: ${namespace}, labels: {kubernetes.io/service-name: ${name}}}
addressType: IPv4
endpoints: [{addresses: [127.0.0.1]}]
ports: [{name: p, port: ${target}}]
`

const GATEWAY = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
  - name: tls
    port: 443
    protocol: TLS
    hostname: "*.example.com"
    tls: {mode: Passthrough}
  - name: tcp
    port: 9000
    protocol: TCP
  - name: http
    port: 80
    protocol: HTTP
---
${service('tls-a', 'infra', 443, 10001)}---
${service('tls-b', 'infra', 443, 10002)}---
${service('echo', 'infra', 9000, 10003)}---
${service('echo', 'other', 9000, 10004)}`

/** A TCPRoute sharing port 9000 between `echo` here (3) and `echo` in namespace `other` (1). */
const SPLIT = `apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: split, namespace: infra}
spec:
  parentRefs: [{name: edge, sectionName: tcp}]
  rules:
  - backendRefs:
    - {name: echo, port: 9000, weight: 3}
    - {name: echo, namespace: other, port: 9000, weight: 1}
`

const server = (c: CompiledConfig, port: number, sni?: string) => c.listeners.get(port)?.selectServer(sni)

describe('TLSRoute and TCPRoute translation', () => {
  test('TLSRoutes on a Passthrough listener: SNI names intersected with the listener hostname, one route each', () => {
    const c = compileResources(
      load(`${GATEWAY}---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: exact, namespace: infra}
spec:
  parentRefs: [{name: edge, sectionName: tls}]
  hostnames: [abc.example.com, abc.example.net]
  rules: [{backendRefs: [{name: tls-a, port: 443}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: wide, namespace: infra}
spec:
  parentRefs: [{name: edge, port: 443}]
  hostnames: ["*.com"]
  rules: [{name: all, backendRefs: [{name: tls-b, port: 443}]}]
`),
    )
    const listener = c.listeners.get(443)
    expect(listener?.protocol).toBe('TLS')
    const s = server(c, 443, 'abc.example.com')
    expect(s?.tls?.mode).toBe('PASSTHROUGH')
    expect(s?.hosts).toEqual(['*.example.com'])
    expect(
      s?.passthrough?.map((p) => [p.sniHosts, p.destinations.map((d) => d.clusterName), p.origin]),
    ).toEqual([
      [
        ['abc.example.com'],
        ['outbound|443||tls-a.infra.svc.cluster.local'],
        {
          virtualService: { kind: 'TLSRoute', namespace: 'infra', name: 'exact' },
          routeIndex: 0,
          source: expect.objectContaining({ file: 'l4.yaml' }),
        },
      ],
      [
        ['*.example.com'],
        ['outbound|443||tls-b.infra.svc.cluster.local'],
        expect.objectContaining({
          virtualService: { kind: 'TLSRoute', namespace: 'infra', name: 'wide' },
          name: 'all',
        }),
      ],
    ])
    // An SNI outside the listener hostname has no server: the handshake is refused.
    expect(server(c, 443, 'abc.example.net')).toBeUndefined()
    expect(c.clusters.get('outbound|443||tls-a.infra.svc.cluster.local')?.endpoints).toEqual([
      expect.objectContaining({ address: '127.0.0.1', port: 10001 }),
    ])
    const text = formatRoutes(describeRoutes(c))
    expect(text).toContain('TLSRoute infra/exact rules[0]')
    const routes = c.gatewayApi?.routes.map((r) => [
      r.route.kind,
      r.route.name,
      r.parents.map((p) => p.conditions.map((x) => `${x.type}=${x.status} ${x.reason}`)),
    ])
    expect(routes).toEqual([
      ['TLSRoute', 'exact', [['Accepted=True Accepted', 'ResolvedRefs=True ResolvedRefs']]],
      ['TLSRoute', 'wide', [['Accepted=True Accepted', 'ResolvedRefs=True ResolvedRefs']]],
    ])
    const tls = c.gatewayApi?.gateways[0]?.listeners.find((l) => l.name === 'tls')
    expect(tls).toMatchObject({ attachedRoutes: 2, supportedKinds: [{ kind: 'TLSRoute' }] })
  })

  test('two TLSRoutes claiming one name: the oldest serves it, then namespace/name', () => {
    const claim = (name: string, created: string, backend: string) => `---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: ${name}, namespace: infra, creationTimestamp: "${created}"}
spec:
  parentRefs: [{name: edge, sectionName: tls}]
  hostnames: [abc.example.com]
  rules: [{backendRefs: [{name: ${backend}, port: 443}]}]
`
    const servedBy = (text: string) =>
      server(compileResources(load(`${GATEWAY}${text}`)), 443, 'abc.example.com')
        ?.passthrough?.filter((p) => p.sniHosts.includes('abc.example.com'))
        .map((p) => p.origin.virtualService.name)
    expect(
      servedBy(
        claim('b-new', '2026-01-02T00:00:00Z', 'tls-a') + claim('a-old', '2026-01-01T00:00:00Z', 'tls-b'),
      ),
    ).toEqual(['a-old'])
    expect(
      servedBy(claim('b', '2026-01-01T00:00:00Z', 'tls-a') + claim('a', '2026-01-01T00:00:00Z', 'tls-b')),
    ).toEqual(['a'])
  })

  test('a TCPRoute splits connections by weight; an invalid backend keeps its share, refused', () => {
    const c = compileResources(
      load(`${GATEWAY}---
${SPLIT}    - {name: tls-a, port: 443, weight: 0}
`),
    )
    const tcp = server(c, 9000)?.tcp
    expect(c.listeners.get(9000)?.protocol).toBe('TCP')
    expect(tcp?.destinations.map((d) => [d.clusterName, d.weight, d.invalid === true])).toEqual([
      ['outbound|9000||echo.infra.svc.cluster.local', 3, false],
      ['outbound|9000||echo.other.svc.cluster.local', 1, true],
    ])
    expect(tcp?.cumulativeWeights).toEqual([3, 4])
    expect(tcp?.origin.virtualService).toEqual({ kind: 'TCPRoute', namespace: 'infra', name: 'split' })
    const resolved = c.gatewayApi?.routes[0]?.parents[0]?.conditions.find((x) => x.type === 'ResolvedRefs')
    expect(resolved).toMatchObject({ status: 'False', reason: 'RefNotPermitted' })

    // A ReferenceGrant in the backend's namespace makes the same backend valid.
    const granted = compileResources(
      load(`${GATEWAY}---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: tcp-to-echo, namespace: other}
spec:
  from: [{group: gateway.networking.k8s.io, kind: TCPRoute, namespace: infra}]
  to: [{group: "", kind: Service, name: echo}]
---
${SPLIT}`),
    )
    expect(server(granted, 9000)?.tcp?.destinations.map((d) => d.invalid === true)).toEqual([false, false])
    expect(granted.clusters.has('outbound|9000||echo.other.svc.cluster.local')).toBe(true)
  })

  test('a rule whose backends all have weight 0 refuses every connection', () => {
    const c = compileResources(
      load(`${GATEWAY}---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: zero, namespace: infra}
spec:
  parentRefs: [{name: edge, sectionName: tcp}]
  rules: [{backendRefs: [{name: echo, port: 9000, weight: 0}]}]
`),
    )
    const tcp = server(c, 9000)?.tcp
    expect(tcp?.destinations.every((d) => d.invalid === true)).toBe(true)
  })

  test('routes attach only to listeners of their kind, with the spec reasons', () => {
    const c = compileResources(
      load(`${GATEWAY}---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: kinds, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
  - name: passthrough
    port: 8443
    protocol: TLS
    tls: {mode: Passthrough}
    allowedRoutes: {kinds: [{kind: TCPRoute}, {kind: TLSRoute}]}
  - name: terminate
    port: 8444
    protocol: TLS
    hostname: terminate.example.com
    tls: {mode: Terminate, certificateRefs: [{name: missing}]}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: on-http, namespace: infra}
spec:
  parentRefs: [{name: edge, sectionName: http}]
  rules: [{backendRefs: [{name: echo, port: 9000}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: on-tcp, namespace: infra}
spec:
  parentRefs: [{name: edge, sectionName: tcp}]
  rules: [{backendRefs: [{name: tls-a, port: 443}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: other-host, namespace: infra}
spec:
  parentRefs: [{name: edge, sectionName: tls}]
  hostnames: [abc.example.net]
  rules: [{backendRefs: [{name: tls-a, port: 443}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: missing-backend, namespace: infra}
spec:
  parentRefs: [{name: edge, sectionName: tls}, {name: edge, sectionName: nope}]
  rules: [{backendRefs: [{name: nowhere, port: 443}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: http-on-tls, namespace: infra}
spec:
  parentRefs: [{name: edge, sectionName: tls}]
  rules: [{backendRefs: [{name: echo, port: 9000}]}]
`),
    )
    const status = c.gatewayApi!
    const conditions = (name: string) =>
      status.routes
        .find((r) => r.route.name === name)
        ?.parents.map((p) => p.conditions.map((x) => `${x.type}=${x.status} ${x.reason}`))
    expect(conditions('on-http')).toEqual([
      ['Accepted=False NotAllowedByListeners', 'ResolvedRefs=True ResolvedRefs'],
    ])
    expect(conditions('on-tcp')).toEqual([
      ['Accepted=False NotAllowedByListeners', 'ResolvedRefs=True ResolvedRefs'],
    ])
    expect(conditions('other-host')).toEqual([
      ['Accepted=False NoMatchingListenerHostname', 'ResolvedRefs=True ResolvedRefs'],
    ])
    expect(conditions('missing-backend')).toEqual([
      ['Accepted=True Accepted', 'ResolvedRefs=False BackendNotFound'],
      ['Accepted=False NoMatchingParent', 'ResolvedRefs=False BackendNotFound'],
    ])
    expect(conditions('http-on-tls')).toEqual([
      ['Accepted=False NotAllowedByListeners', 'ResolvedRefs=True ResolvedRefs'],
    ])
    const listeners = status.gateways.find((g) => g.gateway.name === 'kinds')?.listeners
    expect(listeners?.[0]).toMatchObject({ supportedKinds: [{ kind: 'TLSRoute' }], attachedRoutes: 0 })
    expect(listeners?.[0]?.conditions).toContainEqual(
      expect.objectContaining({ type: 'ResolvedRefs', status: 'False', reason: 'InvalidRouteKinds' }),
    )
    expect(listeners?.[1]?.conditions[0]).toMatchObject({
      type: 'Accepted',
      status: 'False',
      reason: 'UnsupportedValue',
    })
    expect(c.listeners.has(8444)).toBe(false)
    // The route with a missing backend is served; its connections are refused.
    const entry = server(c, 443, 'x.example.com')?.passthrough?.[0]
    expect(entry?.destinations.map((d) => d.invalid)).toEqual([true])
    expect(formatGatewayApiStatus(status)).toContain('TLSRoute infra/other-host')
  })

  test('a second TCP listener on a merged port is Conflicted; TLS and TCP cannot share a port', () => {
    const c = compileResources(
      load(`${GATEWAY}---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: late, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
  - {name: tcp, port: 9000, protocol: TCP}
  - {name: tls-on-tcp, port: 9000, protocol: TLS, tls: {mode: Passthrough}, hostname: a.example.com}
`),
    )
    const late = c.gatewayApi?.gateways.find((g) => g.gateway.name === 'late')?.listeners
    const conflicted = (i: number) => late?.[i]?.conditions.find((x) => x.type === 'Conflicted')
    expect(conflicted(0)).toMatchObject({ status: 'True', reason: 'HostnameConflict' })
    expect(conflicted(1)).toMatchObject({ status: 'True', reason: 'ProtocolConflict' })
    expect(c.listeners.get(9000)?.servers).toHaveLength(1)
  })
})
