import { describe, expect, it } from 'vitest'
import { renderRouteSvg } from './diagram-svg.js'
import { createConfigHistory } from './history.js'
import { bucketQuantile, ROUTE_DURATION_FAMILY, trafficSummary } from './traffic.js'

describe('bucketQuantile', () => {
  it('interpolates inside the bucket that holds the rank, as histogram_quantile does', () => {
    // 10 observations: 4 in (0, 10], 6 in (10, 20].
    expect(bucketQuantile(0.5, [10, 20], [4, 6], 10)).toBeCloseTo(11.67, 2)
    expect(bucketQuantile(0.2, [10, 20], [4, 6], 10)).toBe(5)
    expect(bucketQuantile(0.99, [10, 20], [4, 6], 10)).toBeCloseTo(19.83, 2)
    // Beyond the last bound (+Inf): the last bound.
    expect(bucketQuantile(0.99, [10, 20], [0, 0], 3)).toBe(20)
    expect(bucketQuantile(0.5, [10], [0], 0)).toBeUndefined()
  })
})

describe('trafficSummary', () => {
  it('sums series by route and by cluster, counting 4xx and 5xx', () => {
    const series = (route: string, cluster: string, cls: string, counts: number[]) => ({
      labels: {
        route_config: 'http.80',
        route_name: route,
        upstream_cluster: cluster,
        response_code_class: cls,
      },
      counts,
      sum: 0,
      count: counts.reduce((a, b) => a + b, 0),
    })
    const summary = trafficSummary({
      families: [
        {
          type: 'histogram',
          name: ROUTE_DURATION_FAMILY,
          help: '',
          buckets: [10, 20],
          series: [
            series('a.0', 'c1', '2xx', [3, 0]),
            series('a.0', 'c1', '5xx', [0, 1]),
            series('b.0', '-', '4xx', [2, 0]),
          ],
        },
      ],
    })
    expect(summary.routes).toEqual([
      {
        routeConfig: 'http.80',
        routeName: 'a.0',
        requests: 4,
        status4xx: 0,
        status5xx: 1,
        p50Ms: 6.67,
        p99Ms: 19.6,
      },
      {
        routeConfig: 'http.80',
        routeName: 'b.0',
        requests: 2,
        status4xx: 2,
        status5xx: 0,
        p50Ms: 5,
        p99Ms: 9.9,
      },
    ])
    expect(summary.clusters).toEqual([
      { cluster: 'c1', requests: 4, status4xx: 0, status5xx: 1, p50Ms: 6.67, p99Ms: 19.6 },
    ])
  })
})

describe('createConfigHistory', () => {
  it('keeps the last entries and the last refused one after it has left them', () => {
    const history = createConfigHistory(2)
    history.record({ version: 1, ok: false, operation: 'apply', changes: [], diagnostics: [] })
    for (let v = 2; v <= 4; v++)
      history.record({ version: v, ok: true, operation: 'apply', changes: [], diagnostics: [] })
    expect(history.entries.map((e) => e.version)).toEqual([3, 4])
    expect(history.lastRefused?.version).toBe(1)
    expect(Number.isNaN(Date.parse(history.entries[0]?.time ?? ''))).toBe(false)
  })
})

describe('renderRouteSvg', () => {
  it('escapes node texts and keeps the full text in a title', () => {
    const svg = renderRouteSvg({
      nodes: [
        { id: 'n0', kind: 'listener', label: 'http.80 (HTTP)' },
        { id: 'n1', kind: 'route', label: '</text><script>alert(1)</script>', origin: 'default/x http[0]' },
      ],
      edges: [{ from: 'n0', to: 'n1', label: '<b>' }],
    })
    expect(svg).not.toMatch(/<script|<b>/)
    expect(svg).toContain(
      '<title>&#60;/text&#62;&#60;script&#62;alert(1)&#60;/script&#62;\ndefault/x http[0]</title>',
    )
  })
})
