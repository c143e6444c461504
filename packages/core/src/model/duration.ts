/** Nanoseconds per unit, as Go's `time.ParseDuration` spells the units. */
const UNIT_NANOS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3, // U+00B5 micro sign
  μs: 1e3, // U+03BC Greek small letter mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
}

const MAX_NANOS = 9223372036854775807n

/**
 * Parses a duration in Go's `time.ParseDuration` syntax, the syntax Istio's protobuf JSON uses for
 * `google.protobuf.Duration` fields: a sign, then one or more decimal numbers each followed by a
 * unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), e.g. `10s`, `1.5s`, `1h30m`, `-250ms`. The bare
 * string `0` is also accepted. Returns the duration in milliseconds (possibly fractional, e.g.
 * `1500us` → 1.5), or `undefined` when the text is not a Go duration (`10`, `1d`, `10 s`, ``)
 * or overflows Go's int64 nanoseconds.
 */
export function parseDuration(text: string): number | undefined {
  const nanos = parseDurationNanos(text)
  return nanos === undefined ? undefined : Number(nanos) / 1e6
}

/**
 * Like {@link parseDuration}, but returns the exact number of nanoseconds as Go computes it
 * (a bigint), for callers that need exact precision checks such as "whole milliseconds".
 */
export function parseDurationNanos(text: string): bigint | undefined {
  let s = text
  let negative = false
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s[0] === '-'
    s = s.slice(1)
  }
  if (s === '0') return 0n
  if (s === '') return undefined
  let total = 0n
  let i = 0
  while (i < s.length) {
    // Integer part.
    const intStart = i
    while (i < s.length && isDigit(s.charCodeAt(i))) i++
    const intDigits = s.slice(intStart, i)
    // Fraction part.
    let fracDigits = ''
    let hasDot = false
    if (i < s.length && s[i] === '.') {
      hasDot = true
      i++
      const fracStart = i
      while (i < s.length && isDigit(s.charCodeAt(i))) i++
      fracDigits = s.slice(fracStart, i)
    }
    if (intDigits === '' && fracDigits === '') return undefined
    if (hasDot && intDigits === '' && fracDigits === '') return undefined
    // Unit: everything up to the next digit or dot.
    const unitStart = i
    while (i < s.length && s[i] !== '.' && !isDigit(s.charCodeAt(i))) i++
    const unit = s.slice(unitStart, i)
    const perUnit = UNIT_NANOS[unit]
    if (perUnit === undefined) return undefined
    const whole = intDigits === '' ? 0n : BigInt(intDigits)
    if (whole > MAX_NANOS / BigInt(perUnit)) return undefined
    let value = whole * BigInt(perUnit)
    if (fracDigits !== '') {
      // Go keeps at most the fraction digits that fit in an int64 and scales with float64.
      const kept = fracDigits.slice(0, 18)
      const fraction = Number(kept)
      const scale = 10 ** kept.length
      value += BigInt(Math.trunc(fraction * (perUnit / scale)))
    }
    total += value
    if (total > MAX_NANOS) return undefined
  }
  return negative ? -total : total
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57
}

/**
 * The milliseconds of a Go duration (one that `checkDuration` accepts), rounded to whole
 * nanoseconds, or `undefined` when it does not parse.
 */
export function durationMillis(text: string): number | undefined {
  const ms = parseDuration(text)
  return ms === undefined ? undefined : Math.round(ms * 1e6) / 1e6
}
