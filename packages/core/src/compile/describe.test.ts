import { describe, expect, it } from 'vitest'
import { parseResources } from '../load/parse.js'
import { createSnapshot } from '../model/snapshot.js'
import { explain } from '../route/explain.js'
import { compile } from './compile.js'
import { describeRoutes, formatRoutes } from './describe.js'
import { compileResources, facts, seedResources } from './test-fixtures.js'

describe('describeRoutes / formatRoutes', () => {
  it('lists the seed routes per route config and host, with clusters', () => {
    const d = describeRoutes(compileResources(seedResources(2)))
    expect(d.routes.map((r) => [r.routeConfig, r.virtualHost, r.match, r.action, r.origin])).toEqual([
      [
        'http.80',
        'httpbin.example.com:80',
        'uri prefix "/status"',
        'route outbound|8000||httpbin.default.svc.cluster.local',
        'default/httpbin http[0].match[0]',
      ],
      [
        'http.80',
        'httpbin.example.com:80',
        'uri prefix "/delay"',
        'route outbound|8000||httpbin.default.svc.cluster.local',
        'default/httpbin http[0].match[1]',
      ],
      [
        'https.443.https.httpbin-gateway.default',
        'httpbin.example.com:443',
        'uri prefix "/status"',
        'route outbound|8000||httpbin.default.svc.cluster.local',
        'default/httpbin http[0].match[0]',
      ],
      [
        'https.443.https.httpbin-gateway.default',
        'httpbin.example.com:443',
        'uri prefix "/delay"',
        'route outbound|8000||httpbin.default.svc.cluster.local',
        'default/httpbin http[0].match[1]',
      ],
    ])
    expect(d.clusters).toEqual([
      {
        name: 'outbound|8000||httpbin.default.svc.cluster.local',
        endpoints: ['127.0.0.1:18001'],
        loadBalancer: 'LEAST_REQUEST',
      },
    ])
    expect(JSON.parse(JSON.stringify(d))).toEqual(d)
    const text = formatRoutes(d)
    expect(text.split('\n')[0]).toMatch(/^NAME\s+VHOST NAME\s+DOMAINS\s+MATCH\s+ACTION\s+VIRTUAL SERVICE$/)
    expect(text).toContain('http.80')
    expect(text).toContain('127.0.0.1:18001')
  })

  it('leaves out a table without rows, and says so when nothing is routed', () => {
    const seed = seedResources(1)
    const routed = formatRoutes(describeRoutes(compileResources(seed)))
    expect(routed).toMatch(/^NAME\s+VHOST NAME/)
    expect(routed).not.toContain('SERVER')
    // The Gateway without its VirtualService: port 80 still answers 404 from its blackhole host.
    const gatewayOnly = formatRoutes(
      describeRoutes(compileResources(seed.filter((r) => r.kind === 'Gateway'))),
    )
    expect(gatewayOnly.split('\n')[1]).toMatch(
      /^http\.80\s+blackhole:80\s+\*\s+\(none: 404\)\s+not found\s+-$/,
    )
    const none = formatRoutes(describeRoutes(compileResources(seed.filter((r) => r.kind !== 'Gateway'))))
    expect(none.split('\n')[0]).toBe(
      'no routes: no Gateway server is served (no Gateway, or none selects this gateway)',
    )
    expect(none).toMatch(/\n\nCLUSTER\s+LB\s+ENDPOINTS\n/)
  })

  it('shows file:line origins for loaded resources', () => {
    const yaml = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: g }
spec:
  servers:
  - port: { number: 80, name: http, protocol: HTTP }
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: v }
spec:
  hosts: ["*"]
  gateways: [g]
  http:
  - match:
    - uri: { prefix: /a }
    route:
    - destination: { host: a }
`
    const { resources } = parseResources(yaml, 'routes.yaml')
    const compiled = compile(createSnapshot(resources)).value
    const row = describeRoutes(compiled).routes[0]!
    expect(row.source).toBe('routes.yaml:17:7')
    expect(formatRoutes(describeRoutes(compiled))).toContain('default/v http[0].match[0] (routes.yaml:17:7)')
  })
})

describe('explain', () => {
  it('walks listener, server, path, host and routes to the decision', () => {
    const c = compileResources(seedResources(1))
    const text = explain(c, facts(80, 'httpbin.example.com', '/delay/../status/200'))
    expect(text).toContain('listener   http.80 (HTTP)')
    expect(text).toContain('/delay/../status/200 → /status/200 (normalized)')
    expect(text).toContain('→ httpbin.example.com:80')
    expect(text).toContain('✓ [0] uri prefix "/status"')
    expect(text).not.toContain('[1]')
    expect(text).toContain(
      'decision   route → outbound|8000||httpbin.default.svc.cluster.local; upstream httpbin.example.com /status/200',
    )
    const miss = explain(c, facts(80, 'httpbin.example.com', '/headers'))
    expect(miss).toContain('✗ [1] uri prefix "/delay"')
    expect(miss).toContain('decision   404 (no-route)')
    expect(explain(c, facts(81, 'x', '/'))).toContain('none on port 81')
  })
})
