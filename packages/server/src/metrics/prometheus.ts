import type { HistogramFamilySnapshot, ScalarFamilySnapshot } from './snapshot.js'
import { type Labels, labelText, numberText } from './text.js'

/** A counter family: one monotonically increasing value per label set. */
export class CounterFamily {
  readonly #series = new Map<string, { labels: Labels; value: number }>()
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

interface HistogramSeries {
  readonly labels: Labels
  readonly counts: number[]
  sum: number
  count: number
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
    let s = this.#series.get(key)
    if (s === undefined) {
      s = { labels, counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 }
      this.#series.set(key, s)
    }
    for (let i = 0; i < this.buckets.length; i++) {
      if (value <= (this.buckets[i] as number)) {
        s.counts[i] = (s.counts[i] as number) + 1
        break
      }
    }
    s.sum += value
    s.count++
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
