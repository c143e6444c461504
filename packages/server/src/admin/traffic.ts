import type { HistogramFamilySnapshot, MetricsSnapshot } from '../metrics/snapshot.js'

/** Request figures of one route or one upstream cluster. */
export interface TrafficFigures {
  readonly requests: number
  /** Requests answered 4xx / 5xx. */
  readonly status4xx: number
  readonly status5xx: number
  /** Latency quantiles in milliseconds, interpolated in the histogram's buckets; absent without requests. */
  readonly p50Ms?: number
  readonly p99Ms?: number
}

/** Per-route and per-cluster figures, as `GET /stats/traffic` answers. */
export interface TrafficSummary {
  /** By route config and route name (`http.80`, `httpbin.0`), as the route table lists them. */
  readonly routes: readonly (TrafficFigures & { readonly routeConfig: string; readonly routeName: string })[]
  /** By upstream cluster (`outbound|8000||httpbin.default.svc.cluster.local`). */
  readonly clusters: readonly (TrafficFigures & { readonly cluster: string })[]
}

/** Name of the histogram the summary is computed from. */
export const ROUTE_DURATION_FAMILY = 'portico_route_request_duration_milliseconds'

interface Tally {
  requests: number
  status4xx: number
  status5xx: number
  counts: number[]
}

/**
 * The value below which a fraction `q` of the observations fall, interpolated linearly inside the
 * bucket that holds it (as Prometheus' `histogram_quantile` does); the last finite bound when it
 * falls in `+Inf`.
 */
export function bucketQuantile(
  q: number,
  buckets: readonly number[],
  counts: readonly number[],
  total: number,
): number | undefined {
  if (total === 0) return undefined
  const rank = q * total
  let seen = 0
  for (let i = 0; i < buckets.length; i++) {
    const inBucket = counts[i] ?? 0
    if (seen + inBucket >= rank && inBucket > 0) {
      const lower = i === 0 ? 0 : (buckets[i - 1] as number)
      const upper = buckets[i] as number
      return lower + (upper - lower) * ((rank - seen) / inBucket)
    }
    seen += inBucket
  }
  return buckets[buckets.length - 1]
}

function figures(t: Tally, buckets: readonly number[]): TrafficFigures {
  const p50 = bucketQuantile(0.5, buckets, t.counts, t.requests)
  const p99 = bucketQuantile(0.99, buckets, t.counts, t.requests)
  return {
    requests: t.requests,
    status4xx: t.status4xx,
    status5xx: t.status5xx,
    ...(p50 === undefined ? {} : { p50Ms: Math.round(p50 * 100) / 100 }),
    ...(p99 === undefined ? {} : { p99Ms: Math.round(p99 * 100) / 100 }),
  }
}

/** Sums the per-route histogram of a (possibly merged) metrics snapshot by route and by cluster. */
export function trafficSummary(snapshot: MetricsSnapshot): TrafficSummary {
  const family = snapshot.families.find(
    (f): f is HistogramFamilySnapshot => f.type === 'histogram' && f.name === ROUTE_DURATION_FAMILY,
  )
  if (family === undefined) return { routes: [], clusters: [] }
  const routes = new Map<string, Tally & { routeConfig: string; routeName: string }>()
  const clusters = new Map<string, Tally & { cluster: string }>()
  const add = (t: Tally, s: HistogramFamilySnapshot['series'][number]) => {
    t.requests += s.count
    if (s.labels.response_code_class === '4xx') t.status4xx += s.count
    if (s.labels.response_code_class === '5xx') t.status5xx += s.count
    for (let i = 0; i < s.counts.length; i++) t.counts[i] = (t.counts[i] ?? 0) + (s.counts[i] ?? 0)
  }
  const empty = (): Tally => ({ requests: 0, status4xx: 0, status5xx: 0, counts: [] })
  for (const s of family.series) {
    const routeConfig = s.labels.route_config ?? '-'
    const routeName = s.labels.route_name ?? '-'
    const cluster = s.labels.upstream_cluster ?? '-'
    const rk = `${routeConfig}\u0000${routeName}`
    let r = routes.get(rk)
    if (r === undefined) {
      r = { ...empty(), routeConfig, routeName }
      routes.set(rk, r)
    }
    add(r, s)
    if (cluster !== '-') {
      let c = clusters.get(cluster)
      if (c === undefined) {
        c = { ...empty(), cluster }
        clusters.set(cluster, c)
      }
      add(c, s)
    }
  }
  return {
    routes: [...routes.values()].map((r) => ({
      routeConfig: r.routeConfig,
      routeName: r.routeName,
      ...figures(r, family.buckets),
    })),
    clusters: [...clusters.values()].map((c) => ({ cluster: c.cluster, ...figures(c, family.buckets) })),
  }
}
