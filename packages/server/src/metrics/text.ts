/** Label values by name, in the order they print. */
export type Labels = Readonly<Record<string, string>>

/** Escapes a label value for the Prometheus text format (backslash, double quote, newline). */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

/** Label set text as it prints, `{a="1",b="2"}` (`extra` appended raw), or empty without labels. */
export function labelText(labels: Labels, extra?: string): string {
  const parts: string[] = []
  for (const name in labels) parts.push(`${name}="${escapeLabel(labels[name] ?? '')}"`)
  if (extra !== undefined) parts.push(extra)
  return parts.length === 0 ? '' : `{${parts.join(',')}}`
}

/**
 * The label pairs of a label set as they print, `a="1",b="2"` (empty without labels), kept per
 * label object: a series keeps its labels for its lifetime, so each scrape reuses the escaped
 * text instead of escaping every label of every line again.
 */
const pairsOf = new WeakMap<Labels, string>()

/** {@link labelText} without braces, remembered per label object (see `pairsOf`). */
export function labelPairs(labels: Labels): string {
  let pairs = pairsOf.get(labels)
  if (pairs === undefined) {
    pairs = labelText(labels).slice(1, -1)
    pairsOf.set(labels, pairs)
  }
  return pairs
}

/** A sample value as the text format spells it (`NaN`, `+Inf`, `-Inf`). */
export function numberText(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}
