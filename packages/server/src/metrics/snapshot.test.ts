import { describe, expect, it } from 'vitest'
import type { RequestEndEvent } from '../events/channels.js'
import { parsePrometheus, sum } from '../test/admin.js'
import { createMetrics } from './metrics.js'
import { CounterFamily, HistogramFamily } from './prometheus.js'
import { type MetricsSnapshot, mergeSnapshots, renderSnapshot } from './snapshot.js'

function ended(code: number, durationMs: number, bytesSent: number): RequestEndEvent {
  return {
    responseCode: code,
    responseFlags: [],
    bytesReceived: 0,
    bytesSent,
    durationMs,
    requestProtocol: 'http',
    gatewayPort: 80,
    destinationService: 'httpbin.default.svc.cluster.local',
    destinationPort: 8000,
    destinationSubset: undefined,
  } as unknown as RequestEndEvent
}

describe('metrics snapshots', () => {
  it('render line for line what the families render, on every scrape (label text is kept per series)', () => {
    const counter = new CounterFamily('x_total', 'Counted.')
    counter.inc({}, 2)
    counter.inc({ path: 'a"b\\c\nd', code: '200' }, 3)
    const histogram = new HistogramFamily('x_ms', 'Timed.', [0.5, 1, 5])
    histogram.observe({ route: 'r0' }, 0.7)
    histogram.observe({ route: 'r0' }, 9)
    histogram.observe({}, 0.1)
    const reference = () => {
      const out: string[] = []
      counter.render(out)
      histogram.render(out)
      return `${out.join('\n')}\n`
    }
    const snapshot = (): MetricsSnapshot => ({ families: [counter.snapshot(), histogram.snapshot()] })
    expect(renderSnapshot(snapshot())).toBe(reference())
    histogram.observe({ route: 'r0' }, 2)
    counter.inc({}, 1)
    expect(renderSnapshot(snapshot())).toBe(reference())
    expect(reference()).toContain('x_total{path="a\\"b\\\\c\\nd",code="200"} 3')
    expect(reference()).toContain('x_ms_bucket{route="r0",le="5"} 2')
  })

  it('render the same text as the registry renders', () => {
    const m = createMetrics({
      requests: false,
      gauges: () => [
        { name: 'x_version', help: 'Version.', value: 3, merge: 'min' },
        { name: 'x_changes_total', help: 'Changes.', value: 2, labels: { r: 'a' }, type: 'counter' },
        { name: 'x_changes_total', help: 'Changes.', value: 1, labels: { r: 'b' }, type: 'counter' },
      ],
    })
    try {
      m.record(ended(200, 3, 10))
      const text = renderSnapshot(m.snapshot())
      const { samples, types } = parsePrometheus(text)
      expect(sum(samples, 'istio_requests_total')).toBe(1)
      expect(types.get('x_changes_total')).toBe('counter')
      // One HELP and one TYPE line per family, however many entries share its name.
      expect(text.match(/^# TYPE x_changes_total /gm)).toHaveLength(1)
      expect(sum(samples, 'x_changes_total')).toBe(3)
      expect(mergeSnapshots([m.snapshot()]).families.map((f) => f.name)).toEqual(
        m.snapshot().families.map((f) => f.name),
      )
    } finally {
      m.close()
    }
  })

  it('add counters and histogram buckets, sums and counts across processes', () => {
    const a = createMetrics({ requests: false })
    const b = createMetrics({ requests: false })
    try {
      for (let i = 0; i < 5; i++) a.record(ended(200, 3, 10))
      a.record(ended(503, 700, 0))
      for (let i = 0; i < 4; i++) b.record(ended(200, 30, 1000))
      const merged = parsePrometheus(renderSnapshot(mergeSnapshots([a.snapshot(), b.snapshot()]))).samples
      expect(sum(merged, 'istio_requests_total', { response_code: '200' })).toBe(9)
      expect(sum(merged, 'istio_requests_total', { response_code: '503' })).toBe(1)
      expect(sum(merged, 'istio_request_duration_milliseconds_count')).toBe(10)
      expect(sum(merged, 'istio_request_duration_milliseconds_sum')).toBe(5 * 3 + 700 + 4 * 30)
      const bucket = (le: string) =>
        sum(merged, 'istio_request_duration_milliseconds_bucket', { response_code: '200', le })
      expect([bucket('1'), bucket('5'), bucket('25'), bucket('50'), bucket('+Inf')]).toEqual([0, 5, 5, 9, 9])
      expect(sum(merged, 'istio_response_bytes_sum')).toBe(5 * 10 + 4 * 1000)
      // Each process's own figures are summed too.
      const [one, two] = [a.snapshot(), b.snapshot()].map((s) => parsePrometheus(renderSnapshot(s)).samples)
      expect(sum(merged, 'process_resident_memory_bytes')).toBeGreaterThan(
        sum(one ?? [], 'process_resident_memory_bytes'),
      )
      expect(sum(two ?? [], 'istio_requests_total')).toBe(4)
    } finally {
      a.close()
      b.close()
    }
  })

  it('combine gauges by their rule and keep series found in one process only', () => {
    const snap = (version: number, start: number, host: string, open: number): MetricsSnapshot => ({
      families: [
        { type: 'gauge', name: 'v', help: 'V.', merge: 'min', series: [{ labels: {}, value: version }] },
        { type: 'gauge', name: 's', help: 'S.', merge: 'max', series: [{ labels: {}, value: start }] },
        { type: 'gauge', name: 'o', help: 'O.', series: [{ labels: { host }, value: open }] },
      ],
    })
    const merged = mergeSnapshots([snap(4, 10, 'a', 1), snap(3, 20, 'a', 2), snap(5, 5, 'b', 7)])
    const { samples } = parsePrometheus(renderSnapshot(merged))
    expect(sum(samples, 'v')).toBe(3)
    expect(sum(samples, 's')).toBe(20)
    expect(sum(samples, 'o', { host: 'a' })).toBe(3)
    expect(sum(samples, 'o', { host: 'b' })).toBe(7)
  })

  it('leave out a histogram whose buckets differ from the first one of its name', () => {
    const h1 = new HistogramFamily('h', 'H.', [1, 10])
    const h2 = new HistogramFamily('h', 'H.', [1, 100])
    const c = new CounterFamily('c_total', 'C.')
    h1.observe({}, 5)
    h2.observe({}, 50)
    c.inc({})
    const merged = mergeSnapshots([
      { families: [h1.snapshot(), c.snapshot()] },
      { families: [h2.snapshot(), c.snapshot()] },
    ])
    const { samples } = parsePrometheus(renderSnapshot(merged))
    expect(sum(samples, 'h_count')).toBe(1)
    expect(sum(samples, 'c_total')).toBe(2)
  })
})
