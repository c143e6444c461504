export {
  createMetrics,
  DURATION_BUCKETS_MS,
  type Metrics,
  type MetricsOptions,
  PROMETHEUS_CONTENT_TYPE,
  SIZE_BUCKETS,
} from './metrics.js'
export {
  CounterFamily,
  type CounterSeries,
  HistogramFamily,
  HistogramSeries,
  renderGauge,
} from './prometheus.js'
export {
  type FamilySnapshot,
  type HistogramFamilySnapshot,
  type MergeRule,
  type MetricsSnapshot,
  mergeSnapshots,
  renderSnapshot,
  type ScalarFamilySnapshot,
} from './snapshot.js'
export { escapeLabel, type Labels } from './text.js'
