import { describe, expect, it } from 'vitest'
import { parseResources } from '../load/parse.js'
import { createSnapshot } from '../model/snapshot.js'
import { compile } from './compile.js'
import { formatDot, formatMermaid, routeGraph } from './graph.js'
import { compileResources, seedResources } from './test-fixtures.js'

const canary = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: 80, name: http, protocol: HTTP }
    hosts: ["reviews.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: ["reviews.example.com"]
  gateways: [gw]
  http:
  - match: [{ uri: { prefix: /old } }]
    redirect: { uri: /new }
  - route:
    - destination: { host: reviews, subset: v1, port: { number: 9080 } }
      weight: 90
    - destination: { host: reviews, subset: v2, port: { number: 9080 } }
      weight: 10
`

function compiled(yaml: string) {
  const { resources } = parseResources(yaml, 'canary.yaml')
  return compile(createSnapshot(resources), { labels: { istio: 'ingressgateway' } }).value
}

describe('routeGraph', () => {
  it('draws listener → host → routes in order → weighted destinations', () => {
    const g = routeGraph(compiled(canary))
    const label = (id: string) => g.nodes.find((n) => n.id === id)?.label
    const edges = g.edges.map((e) => [label(e.from), e.label, label(e.to)])
    expect(edges).toEqual([
      ['http.80 (HTTP)', undefined, 'reviews.example.com'],
      ['reviews.example.com', '[0]', 'uri prefix "/old"'],
      ['uri prefix "/old"', undefined, 'redirect 301 uri "/new"'],
      ['reviews.example.com', '[1]', '*'],
      ['*', '90%', 'outbound|9080|v1|reviews.default.svc.cluster.local (no such cluster: 503)'],
      ['*', '10%', 'outbound|9080|v2|reviews.default.svc.cluster.local (no such cluster: 503)'],
    ])
    const route = g.nodes.find((n) => n.kind === 'route' && n.label === '*')
    expect(route).toMatchObject({
      origin: 'default/reviews http[1]',
      source: expect.stringMatching(/^canary\.yaml:\d+:\d+$/),
    })
  })

  it('shares one node per cluster between the routes that use it', () => {
    const g = routeGraph(compileResources(seedResources(2)))
    const clusters = g.nodes.filter((n) => n.kind === 'destination')
    expect(clusters.map((n) => n.label)).toEqual(['outbound|8000||httpbin.default.svc.cluster.local'])
    expect(g.edges.filter((e) => e.to === clusters[0]?.id)).toHaveLength(4)
  })
})

describe('formatMermaid / formatDot', () => {
  const hostile = canary.replace(
    '  - route:',
    `  - name: 'x"]; click n0 call alert(1) %% <script>'\n    route:`,
  )
  it('writes a flowchart whose labels cannot end early', () => {
    const text = formatMermaid(routeGraph(compiled(hostile)))
    expect(text.startsWith('flowchart LR\n')).toBe(true)
    expect(text).toContain('-->|"90%"|')
    expect(text).not.toContain('<script>')
    // Every label is one quoted string: no quote inside it survives unescaped.
    for (const line of text.split('\n').slice(1, -1)) {
      expect(line).toMatch(
        /^ {2}n\d+(\[\/|\(\[|\[\(|\[)"[^"]*"(\/\]|\]\)|\)\]|\])$|^ {2}n\d+ -->(\|"[^"]*"\|)? n\d+$/,
      )
    }
  })
  it('writes DOT with escaped string literals', () => {
    const text = formatDot(routeGraph(compiled(hostile)))
    expect(text.startsWith('digraph routes {\n  rankdir=LR;')).toBe(true)
    expect(text).toContain('[label="10%"]')
    expect(text).toContain('x\\"]; click n0 call alert(1)')
    for (const line of text.split('\n').slice(3, -2)) {
      expect(line).toMatch(
        /^ {2}n\d+ (\[shape=\w+, label="([^"\\]|\\.)*"\]|-> n\d+( \[label="([^"\\]|\\.)*"\])?);$/,
      )
    }
  })
})
