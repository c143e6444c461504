import { type Labels, labelPairs, numberText } from './text.js'

/** How the values of one series from several processes combine into one. */
export type MergeRule = 'sum' | 'min' | 'max'

/** A counter or gauge family as plain data. */
export interface ScalarFamilySnapshot {
  readonly type: 'counter' | 'gauge'
  readonly name: string
  readonly help: string
  /** How processes combine (default `sum`): `min`/`max` for values every process holds alike (a start time, a version). */
  readonly merge?: MergeRule
  readonly series: readonly { readonly labels: Labels; readonly value: number }[]
}

/** A histogram family as plain data; `counts` are per bucket (not cumulative), `+Inf` is `count`. */
export interface HistogramFamilySnapshot {
  readonly type: 'histogram'
  readonly name: string
  readonly help: string
  readonly buckets: readonly number[]
  readonly series: readonly {
    readonly labels: Labels
    readonly counts: readonly number[]
    readonly sum: number
    readonly count: number
  }[]
}

/** One metric family as plain data. */
export type FamilySnapshot = ScalarFamilySnapshot | HistogramFamilySnapshot

/**
 * The figures of a {@link Metrics} registry at one moment, as plain JSON-serializable data: what
 * one process hands another (e.g. a cluster worker to the one serving the admin endpoint).
 */
export interface MetricsSnapshot {
  readonly families: readonly FamilySnapshot[]
}

function combine(rule: MergeRule, a: number, b: number): number {
  return rule === 'sum' ? a + b : rule === 'min' ? Math.min(a, b) : Math.max(a, b)
}

/**
 * Merges the snapshots of several processes into one: series with the same name and labels are
 * combined (counters, histogram buckets, sums and counts added; gauges by their family's
 * {@link MergeRule}); families and series keep the order they first appear in. A histogram
 * whose buckets differ from the first one seen under its name is left out of the merge.
 */
export function mergeSnapshots(snapshots: readonly MetricsSnapshot[]): MetricsSnapshot {
  if (snapshots.length === 1 && snapshots[0] !== undefined) return snapshots[0]
  const scalars = new Map<
    string,
    { family: ScalarFamilySnapshot; series: Map<string, { labels: Labels; value: number }> }
  >()
  const histograms = new Map<
    string,
    {
      family: HistogramFamilySnapshot
      series: Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>
    }
  >()
  const order: string[] = []
  for (const snapshot of snapshots) {
    for (const family of snapshot.families) {
      if (family.type === 'histogram') {
        let merged = histograms.get(family.name)
        if (merged === undefined) {
          if (scalars.has(family.name)) continue
          merged = { family, series: new Map() }
          histograms.set(family.name, merged)
          order.push(family.name)
        } else if (merged.family.buckets.join() !== family.buckets.join()) continue
        for (const s of family.series) {
          const key = labelPairs(s.labels)
          const into = merged.series.get(key)
          if (into === undefined)
            merged.series.set(key, { labels: s.labels, counts: [...s.counts], sum: s.sum, count: s.count })
          else {
            for (let i = 0; i < into.counts.length; i++)
              into.counts[i] = (into.counts[i] as number) + (s.counts[i] ?? 0)
            into.sum += s.sum
            into.count += s.count
          }
        }
      } else {
        let merged = scalars.get(family.name)
        if (merged === undefined) {
          if (histograms.has(family.name)) continue
          merged = { family, series: new Map() }
          scalars.set(family.name, merged)
          order.push(family.name)
        }
        const rule = merged.family.merge ?? 'sum'
        for (const s of family.series) {
          const key = labelPairs(s.labels)
          const into = merged.series.get(key)
          if (into === undefined) merged.series.set(key, { labels: s.labels, value: s.value })
          else into.value = combine(rule, into.value, s.value)
        }
      }
    }
  }
  const families: FamilySnapshot[] = []
  for (const name of order) {
    const h = histograms.get(name)
    if (h !== undefined) families.push({ ...h.family, series: [...h.series.values()] })
    const s = scalars.get(name)
    if (s !== undefined) families.push({ ...s.family, series: [...s.series.values()] })
  }
  return { families }
}

/** The `le="…"}` endings of each bucket line of a set of bounds, built once per bounds array. */
const bucketEnds = new WeakMap<readonly number[], readonly string[]>()

function bucketEndsOf(buckets: readonly number[]): readonly string[] {
  let ends = bucketEnds.get(buckets)
  if (ends === undefined) {
    ends = [...buckets.map((b) => `le="${b}"}`), 'le="+Inf"}']
    bucketEnds.set(buckets, ends)
  }
  return ends
}

/**
 * Renders a snapshot in the Prometheus text exposition format (version 0.0.4). A series' label
 * text is escaped once per label object and reused by its lines and by later scrapes: a scrape
 * runs in one turn of the event loop, which every request in flight waits for.
 */
export function renderSnapshot(snapshot: MetricsSnapshot): string {
  let out = ''
  for (const family of snapshot.families) {
    const name = family.name
    out += `# HELP ${name} ${family.help}\n# TYPE ${name} ${family.type}\n`
    if (family.type === 'histogram') {
      const ends = bucketEndsOf(family.buckets)
      const bounds = family.buckets.length
      for (const s of family.series) {
        const pairs = labelPairs(s.labels)
        const open = pairs === '' ? `${name}_bucket{` : `${name}_bucket{${pairs},`
        const plain = pairs === '' ? '' : `{${pairs}}`
        let cumulative = 0
        for (let i = 0; i < bounds; i++) {
          cumulative += s.counts[i] ?? 0
          out += `${open}${ends[i]} ${cumulative}\n`
        }
        out += `${open}${ends[bounds]} ${s.count}\n`
        out += `${name}_sum${plain} ${numberText(s.sum)}\n${name}_count${plain} ${s.count}\n`
      }
    } else {
      for (const s of family.series) {
        const pairs = labelPairs(s.labels)
        out += `${name}${pairs === '' ? '' : `{${pairs}}`} ${numberText(s.value)}\n`
      }
    }
  }
  return out === '' ? '\n' : out
}
