import type { HistogramFamilySnapshot, ScalarFamilySnapshot } from './snapshot.js'
import { type Labels, labelText, numberText } from './text.js'

/** One series of a counter: its labels and value. */
export interface CounterSeries {
  readonly labels: Labels
  value: number
}

/** A counter family: one monotonically increasing value per label set. */
export class CounterFamily {
  readonly #series = new Map<string, CounterSeries>()
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** Adds `by` to the series of `labels`; `key`, when given, identifies the label set (saves rendering it). */
  inc(labels: Labels, by = 1, key: string = labelText(labels)): void {
    const s = this.#series.get(key)
    if (s === undefined) this.#series.set(key, { labels, value: by })
    else s.value += by
  }

  /**
   * The series of `labels` (created at 0 when new; `key` as for {@link inc}), for a caller that
   * keeps it and adds to its `value` directly.
   */
  series(labels: Labels, key: string = labelText(labels)): CounterSeries {
    let s = this.#series.get(key)
    if (s === undefined) {
      s = { labels, value: 0 }
      this.#series.set(key, s)
    }
    return s
  }

  /** The value for a label set (0 when never incremented). */
  get(labels: Labels): number {
    for (const s of this.#series.values()) if (labelText(s.labels) === labelText(labels)) return s.value
    return 0
  }

  /** The family as plain data. */
  snapshot(): ScalarFamilySnapshot {
    const series: { labels: Labels; value: number }[] = []
    for (const s of this.#series.values()) series.push({ labels: s.labels, value: s.value })
    return { type: 'counter', name: this.name, help: this.help, series }
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`)
    for (const s of this.#series.values())
      out.push(`${this.name}${labelText(s.labels)} ${numberText(s.value)}`)
  }
}

/** One series of a histogram: counts per bucket (not cumulative), sum and count. */
export class HistogramSeries {
  readonly counts: number[]
  sum = 0
  count = 0
  constructor(
    readonly labels: Labels,
    readonly buckets: readonly number[],
  ) {
    this.counts = new Array<number>(buckets.length).fill(0)
  }

  /** Counts `value` (in the first bucket whose upper bound it does not exceed). */
  observe(value: number): void {
    const buckets = this.buckets
    for (let i = 0; i < buckets.length; i++) {
      if (value <= (buckets[i] as number)) {
        this.counts[i] = (this.counts[i] as number) + 1
        break
      }
    }
    this.sum += value
    this.count++
  }
}

/** A histogram family with fixed upper bounds (cumulative `_bucket`, `_sum`, `_count`). */
export class HistogramFamily {
  readonly #series = new Map<string, HistogramSeries>()
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}

  /** Counts `value` in the series of `labels`; `key`, when given, identifies the label set. */
  observe(labels: Labels, value: number, key: string = labelText(labels)): void {
    this.series(labels, key).observe(value)
  }

  /** The series of `labels` (created empty when new; `key` as for {@link observe}), to keep and observe into. */
  series(labels: Labels, key: string = labelText(labels)): HistogramSeries {
    let s = this.#series.get(key)
    if (s === undefined) {
      s = new HistogramSeries(labels, this.buckets)
      this.#series.set(key, s)
    }
    return s
  }

  /** The family as plain data (bucket counts not cumulative). */
  snapshot(): HistogramFamilySnapshot {
    const series: { labels: Labels; counts: number[]; sum: number; count: number }[] = []
    for (const s of this.#series.values())
      series.push({ labels: s.labels, counts: [...s.counts], sum: s.sum, count: s.count })
    return { type: 'histogram', name: this.name, help: this.help, buckets: this.buckets, series }
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`)
    for (const s of this.#series.values()) {
      let cumulative = 0
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += s.counts[i] as number
        out.push(`${this.name}_bucket${labelText(s.labels, `le="${this.buckets[i]}"`)} ${cumulative}`)
      }
      out.push(`${this.name}_bucket${labelText(s.labels, 'le="+Inf"')} ${s.count}`)
      out.push(`${this.name}_sum${labelText(s.labels)} ${numberText(s.sum)}`)
      out.push(`${this.name}_count${labelText(s.labels)} ${s.count}`)
    }
  }
}

/** Renders one gauge family whose values are read at scrape time. */
export function renderGauge(
  out: string[],
  name: string,
  help: string,
  series: Iterable<readonly [Labels, number]>,
  type: 'gauge' | 'counter' = 'gauge',
): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
  for (const [labels, value] of series) out.push(`${name}${labelText(labels)} ${numberText(value)}`)
}
