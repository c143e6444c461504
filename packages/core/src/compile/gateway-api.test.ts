import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { parseResources } from '../load/parse.js'
import type { HTTPRouteMatch } from '../resources/index.js'
import { route } from '../route/router.js'
import { compareMatches, formatGatewayApiStatus, intersectHostnames } from './gateway-api.js'
import { compileResources, facts, type TestResource } from './test-fixtures.js'

const load = (text: string) => {
  const { resources, diagnostics } = parseResources(text, 'gwapi.yaml')
  expect(diagnostics).toEqual([])
  return resources as unknown as TestResource[]
}

const BASE = `apiVersion: v1
kind: Namespace
metadata: {name: apps, labels: {team: a}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: istio
  listeners:
  - {name: web, port: 80, protocol: HTTP, hostname: "*.example.com", allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {team: a}}}}}
  - {name: same, port: 80, protocol: HTTP, hostname: same.test}
  - {name: udp, port: 9000, protocol: UDP}
---
apiVersion: v1
kind: Service
metadata: {name: grpc, namespace: apps}
spec: {ports: [{name: grpc, port: 9090, appProtocol: grpc}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: grpc, namespace: apps}
subsets: [{addresses: [{ip: 10.0.0.1}], notReadyAddresses: [{ip: 10.0.0.2}], ports: [{name: grpc, port: 50051}]}]
`

describe('Gateway API translation', () => {
  /** The retries of the route an HTTPRoute rule to Service web with this `retry` stanza compiles to. */
  const retriesOf = (retry: string) => {
    const c = compileResources(
      load(`${BASE}---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: apps}
spec: {ports: [{name: http, port: 8080}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: apps}
spec:
  parentRefs: [{name: gw, namespace: default, sectionName: web}]
  hostnames: [web.example.com]
  rules:
  - backendRefs: [{name: web, port: 8080}]
    retry: ${retry}
`),
    )
    const hit = route(c, facts(80, 'web.example.com', '/'))
    if (hit.kind !== 'route') throw new Error(hit.kind)
    return hit.forward.retries
  }
  test('HTTPRoute retry: attempts, codes and backoff reach the route (Istio sets retries.backoff from it)', () => {
    expect(retriesOf('{attempts: 3, codes: [503], backoff: 40ms}')).toMatchObject({
      attempts: 3,
      retriableStatusCodes: [503],
      backoffBaseMs: 40,
    })
  })
  test('HTTPRoute retry without attempts retries twice, as Istio translates it; attempts 0 turns retries off', () => {
    expect(retriesOf('{codes: [500]}')).toMatchObject({
      attempts: 2,
      retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes'],
      retriableStatusCodes: [500],
      isDefault: false,
    })
    expect(retriesOf('{}')).toMatchObject({ attempts: 2, retriableStatusCodes: [] })
    expect(retriesOf('{attempts: 0, codes: [500]}')).toMatchObject({ attempts: 0, retryOn: [] })
  })
  test('GRPCRoute methods become paths; Endpoints give the ready addresses', () => {
    const c = compileResources(
      load(`${BASE}---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: g, namespace: apps}
spec:
  parentRefs: [{name: gw, namespace: default, sectionName: web}]
  hostnames: [grpc.example.com]
  rules:
  - matches: [{method: {service: helloworld.Greeter, method: SayHello}}]
    backendRefs: [{name: grpc, port: 9090}]
`),
    )
    const hit = route(c, facts(80, 'grpc.example.com', '/helloworld.Greeter/SayHello', { method: 'POST' }))
    expect(hit.kind).toBe('route')
    const miss = route(c, facts(80, 'grpc.example.com', '/helloworld.Greeter/Other', { method: 'POST' }))
    expect(miss.kind).toBe('notFound')
    const cluster = c.clusters.get('outbound|9090||grpc.apps.svc.cluster.local')
    expect(cluster?.protocol).toBe('GRPC')
    expect(cluster?.endpoints.map((e) => `${e.address}:${e.port}`)).toEqual(['10.0.0.1:50051'])
  })

  test('status gives the spec reasons for routes that do not attach, and listener problems', () => {
    const c = compileResources(
      load(`${BASE}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: other-ns, namespace: elsewhere}
spec:
  parentRefs: [{name: gw, namespace: default, sectionName: web}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: wrong-host}
spec:
  parentRefs: [{name: gw, sectionName: same}]
  hostnames: [other.test]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: no-section}
spec:
  parentRefs: [{name: gw, sectionName: nope}, {name: missing}]
`),
    )
    const status = c.gatewayApi!
    const reasons = (name: string) =>
      status.routes
        .find((r) => r.route.name === name)
        ?.parents.map((p) => p.conditions.find((x) => x.type === 'Accepted')?.reason)
    expect(reasons('other-ns')).toEqual(['NotAllowedByListeners'])
    expect(reasons('wrong-host')).toEqual(['NoMatchingListenerHostname'])
    expect(reasons('no-section')).toEqual(['NoMatchingParent', 'NoMatchingParent'])
    const udp = status.gateways[0]?.listeners.find((l) => l.name === 'udp')
    expect(udp?.conditions[0]).toMatchObject({
      type: 'Accepted',
      status: 'False',
      reason: 'UnsupportedProtocol',
    })
    expect(formatGatewayApiStatus(status)).toContain('Accepted=False (NoMatchingListenerHostname)')
  })

  test('an HTTPS listener on a port that serves HTTP is Conflicted', () => {
    const c = compileResources(
      load(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: a}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata: {name: cert}
stringData: {tls.crt: x, tls.key: y}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: b}
spec:
  gatewayClassName: istio
  listeners: [{name: https, port: 80, protocol: HTTPS, tls: {certificateRefs: [{name: cert}]}}]
`),
    )
    const b = c.gatewayApi?.gateways.find((g) => g.gateway.name === 'b')
    expect(b?.listeners[0]?.conditions).toContainEqual(
      expect.objectContaining({ type: 'Conflicted', status: 'True', reason: 'ProtocolConflict' }),
    )
    expect(c.listeners.get(80)?.protocol).toBe('HTTP')
  })

  test('a malformed Gateway API object built in code is left out, never thrown on', () => {
    const broken: TestResource[] = [
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: 'x' },
        spec: { listeners: 7 },
      },
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'r' },
        spec: { rules: 'no' },
      },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: 'no' } },
    ]
    expect(() => compileResources(broken)).not.toThrow()
  })

  test('hostname intersection follows the spec', () => {
    expect(intersectHostnames(undefined, [])).toEqual(['*'])
    expect(intersectHostnames('*.example.com', ['a.example.com', 'b.other.com'])).toEqual(['a.example.com'])
    expect(intersectHostnames('a.example.com', ['*.example.com'])).toEqual(['a.example.com'])
    expect(intersectHostnames('*.example.com', ['*.a.example.com'])).toEqual(['*.a.example.com'])
    expect(intersectHostnames('example.com', ['*.example.com'])).toEqual([])
  })
})

const matchArb: fc.Arbitrary<HTTPRouteMatch | undefined> = fc.option(
  fc.record(
    {
      path: fc.record({
        type: fc.constantFrom('Exact' as const, 'PathPrefix' as const, 'RegularExpression' as const),
        value: fc.constantFrom('/', '/a', '/a/b', '/abc', '/a/'),
      }),
      method: fc.constantFrom('GET' as const, 'POST' as const),
      headers: fc.array(fc.record({ name: fc.constantFrom('x', 'y'), value: fc.constant('1') }), {
        maxLength: 2,
      }),
      queryParams: fc.array(fc.record({ name: fc.constantFrom('q'), value: fc.constant('1') }), {
        maxLength: 2,
      }),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
)

describe('compareMatches', () => {
  test('is a consistent order: antisymmetric and transitive', () => {
    fc.assert(
      fc.property(matchArb, matchArb, matchArb, (a, b, c) => {
        expect(Math.sign(compareMatches(a, b))).toBe(-Math.sign(compareMatches(b, a)) || 0)
        if (compareMatches(a, b) <= 0 && compareMatches(b, c) <= 0)
          expect(compareMatches(a, c)).toBeLessThanOrEqual(0)
      }),
    )
  })

  test('exact beats a longer prefix, a longer prefix beats a shorter one, method beats headers', () => {
    const exact: HTTPRouteMatch = { path: { type: 'Exact', value: '/a' } }
    const longPrefix: HTTPRouteMatch = { path: { type: 'PathPrefix', value: '/a/b/c' } }
    const shortPrefix: HTTPRouteMatch = { path: { type: 'PathPrefix', value: '/a' } }
    const withMethod: HTTPRouteMatch = { path: { type: 'PathPrefix', value: '/a' }, method: 'GET' }
    const withHeaders: HTTPRouteMatch = {
      path: { type: 'PathPrefix', value: '/a' },
      headers: [{ name: 'x', value: '1' }],
    }
    expect(compareMatches(exact, longPrefix)).toBeLessThan(0)
    expect(compareMatches(longPrefix, shortPrefix)).toBeLessThan(0)
    expect(compareMatches(withMethod, withHeaders)).toBeLessThan(0)
    expect(compareMatches(withHeaders, shortPrefix)).toBeLessThan(0)
    expect(compareMatches(undefined, shortPrefix)).toBeGreaterThan(0)
  })
})
