import { describe, expect, it } from 'vitest'
import { parsePrometheus, sum } from '../test/admin.js'
import { CounterFamily, HistogramFamily, renderGauge } from './prometheus.js'

describe('Prometheus text format', () => {
  it('renders counters with escaped label values that parse back to the same values', () => {
    const c = new CounterFamily('x_total', 'Things.')
    c.inc({ path: 'a"b\\c\nd' })
    c.inc({ path: 'a"b\\c\nd' }, 2)
    c.inc({ path: 'plain' })
    const out: string[] = []
    c.render(out)
    const { samples, types } = parsePrometheus(`${out.join('\n')}\n`)
    expect(types.get('x_total')).toBe('counter')
    expect(samples).toEqual([
      { name: 'x_total', labels: { path: 'a"b\\c\nd' }, value: 3 },
      { name: 'x_total', labels: { path: 'plain' }, value: 1 },
    ])
    expect(c.get({ path: 'plain' })).toBe(1)
  })

  it('renders histograms with cumulative buckets, +Inf, sum and count', () => {
    const h = new HistogramFamily('d_ms', 'Durations.', [1, 10, 100])
    for (const v of [0.5, 1, 5, 50, 500, 5000]) h.observe({ code: '200' }, v)
    const out: string[] = []
    h.render(out)
    renderGauge(out, 'g', 'A gauge.', [[{}, 7]])
    const { samples } = parsePrometheus(`${out.join('\n')}\n`)
    const bucket = (le: string) => sum(samples, 'd_ms_bucket', { le })
    expect([bucket('1'), bucket('10'), bucket('100'), bucket('+Inf')]).toEqual([2, 3, 4, 6])
    expect(sum(samples, 'd_ms_count')).toBe(6)
    expect(sum(samples, 'd_ms_sum')).toBe(5556.5)
    expect(sum(samples, 'g')).toBe(7)
  })
})
