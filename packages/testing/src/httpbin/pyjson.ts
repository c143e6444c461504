/**
 * JSON text as Python's `json.dumps` writes it with `ensure_ascii=True`, which is what httpbin
 * 0.9 (Flask 1.0) puts on the wire: `\uXXXX` escapes with lowercase hex for everything outside
 * printable ASCII, and, in the pretty form, `", "` as the item separator (so lines end in a space).
 */

/** A JSON value as httpbin builds it. */
export type PyJson = null | boolean | number | string | PyJson[] | { [key: string]: PyJson }

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
}

/** A string literal with Python's ASCII-only escaping. */
export function pyString(text: string): string {
  let out = '"'
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    const code = text.charCodeAt(i)
    const short = SHORT_ESCAPES[ch]
    if (short !== undefined) out += short
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`
    else out += ch
  }
  return `${out}"`
}

function pyNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Number.POSITIVE_INFINITY) return 'Infinity'
  if (n === Number.NEGATIVE_INFINITY) return '-Infinity'
  return String(n)
}

function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a)
  const y = Array.from(b)
  const n = Math.min(x.length, y.length)
  for (let i = 0; i < n; i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!
    if (d !== 0) return d
  }
  return x.length - y.length
}

/** Flask 1.0's pretty `jsonify` body: sorted keys, indent 2, `", "` item separator, final newline. */
export function jsonifyText(value: PyJson): string {
  return `${pretty(value, 0)}\n`
}

function pretty(value: PyJson, level: number): string {
  if (value === null) return 'null'
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number') return pyNumber(value)
  if (typeof value === 'string') return pyString(value)
  const inner = `\n${'  '.repeat(level + 1)}`
  const outer = `\n${'  '.repeat(level)}`
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]'
    return `[${inner}${value.map((v) => pretty(v, level + 1)).join(`, ${inner}`)}${outer}]`
  }
  const keys = Object.keys(value).sort(compareCodePoints)
  if (keys.length === 0) return '{}'
  const items = keys.map((k) => `${pyString(k)}: ${pretty(value[k]!, level + 1)}`)
  return `{${inner}${items.join(`, ${inner}`)}${outer}}`
}

/** Python's default `json.dumps(value)`: one line, `", "` and `": "` separators, keys in insertion order. */
export function dumpsText(value: PyJson): string {
  if (value === null) return 'null'
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number') return pyNumber(value)
  if (typeof value === 'string') return pyString(value)
  if (Array.isArray(value)) return `[${value.map(dumpsText).join(', ')}]`
  return `{${Object.keys(value)
    .map((k) => `${pyString(k)}: ${dumpsText(value[k]!)}`)
    .join(', ')}}`
}
