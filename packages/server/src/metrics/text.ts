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

/** A sample value as the text format spells it (`NaN`, `+Inf`, `-Inf`). */
export function numberText(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}
