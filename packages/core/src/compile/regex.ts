import type { RE2JS } from 're2js'
import { regexEngine } from './regex-engine.js'

/**
 * An RE2 pattern compiled once for the hot path. Istio validates and Envoy matches with RE2;
 * Portico matches with a native `RegExp` only when the pattern uses a subset of the syntax where
 * both engines agree and backtracking stays bounded, and with re2js otherwise.
 */
export interface CompiledRegex {
  /** The RE2 source as written. */
  readonly source: string
  /** `native` (JS RegExp) or `re2` (re2js, linear time). */
  readonly engine: 'native' | 're2'
  /** Full match (Envoy `safe_regex` semantics). */
  fullMatch(input: string): boolean
  /** RE2 `GlobalReplace` with an Envoy substitution (`\1` captures). */
  replaceAll(input: string, substitution: string): string
}

/** A translated substitution for both engines: `\N` → `$N`, `$` → `$$`. */
export function translateSubstitution(substitution: string): string {
  let out = ''
  for (let i = 0; i < substitution.length; i++) {
    const ch = substitution[i]!
    if (ch === '\\' && i + 1 < substitution.length) {
      const n = substitution[i + 1]!
      if (n >= '0' && n <= '9') {
        out += n === '0' ? '$&' : `$${n}`
        i++
        continue
      }
      out += n === '$' ? '$$' : n
      i++
      continue
    }
    out += ch === '$' ? '$$' : ch
  }
  return out
}

class NativeRegex implements CompiledRegex {
  readonly engine = 'native' as const
  readonly #full: RegExp
  readonly #global: RegExp
  constructor(
    readonly source: string,
    js: string,
  ) {
    // `u`: match code points, as RE2 does on UTF-8 (so `.` and negated classes never split a pair).
    this.#full = new RegExp(`^(?:${js})$`, 'u')
    this.#global = new RegExp(js, 'gu')
  }
  fullMatch(input: string): boolean {
    return this.#full.test(input)
  }
  replaceAll(input: string, substitution: string): string {
    this.#global.lastIndex = 0
    return input.replace(this.#global, substitution)
  }
}

class Re2Regex implements CompiledRegex {
  readonly engine = 're2' as const
  readonly #re: RE2JS
  constructor(
    readonly source: string,
    re: RE2JS,
  ) {
    this.#re = re
  }
  fullMatch(input: string): boolean {
    return this.#re.testExact(input)
  }
  replaceAll(input: string, substitution: string): string {
    return this.#re.matcher(input).replaceAll(substitution)
  }
}

/**
 * Translates an RE2 pattern to a JS source with the same meaning, or `undefined` when the pattern
 * leaves the conservative subset: ASCII literals, `.`, `^`, `$`, bracket classes without POSIX
 * names, `\d \D \w \W \b \B`, escaped punctuation, `(…)`, `(?:…)`, `|`, and quantifiers — with at
 * most one unbounded quantifier and none on a group that contains a quantifier or `|` (so a
 * backtracking engine stays linear-ish). Everything else (inline flags, `\s`, `\pL`, `\Q…\E`,
 * `\A`, `\z`, named groups, non-ASCII, nested quantifiers) is matched by re2js.
 */
export function translateRe2ToJs(pattern: string): string | undefined {
  let out = ''
  let unbounded = 0
  // Per open group: whether it contains a quantifier or an alternation.
  const groups: { risky: boolean }[] = []
  let lastAtomWasGroup = false
  let lastGroupRisky = false
  const markRisky = () => {
    for (const g of groups) g.risky = true
  }
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i)
    const ch = pattern[i]!
    if (c > 0x7e || c < 0x20) return undefined
    if (ch === '\\') {
      const n = pattern[i + 1]
      if (n === undefined) return undefined
      if ('dDwWbB'.includes(n) || /[!-/:-@[-`{-~]/.test(n)) {
        out += escapeForUnicodeMode(n)
        i++
        lastAtomWasGroup = false
        continue
      }
      return undefined
    }
    if (ch === '[') {
      let j = i + 1
      let cls = '['
      if (pattern[j] === '^') {
        cls += '^'
        j++
      }
      if (pattern[j] === ']') {
        cls += '\\]'
        j++
      }
      let closed = false
      for (; j < pattern.length; j++) {
        const k = pattern[j]!
        const kc = pattern.charCodeAt(j)
        if (kc > 0x7e || kc < 0x20) return undefined
        if (k === ']') {
          closed = true
          break
        }
        if (k === '[') {
          if (pattern[j + 1] === ':' || pattern[j + 1] === '=' || pattern[j + 1] === '.') return undefined
          cls += '\\['
          continue
        }
        if (k === '\\') {
          const n = pattern[j + 1]
          if (n === undefined) return undefined
          if ('dDwW'.includes(n) || /[!-/:-@[-`{-~]/.test(n)) {
            cls += n === '-' ? '\\-' : escapeForUnicodeMode(n)
            j++
            continue
          }
          return undefined
        }
        cls += k
      }
      if (!closed) return undefined
      out += `${cls}]`
      i = j
      lastAtomWasGroup = false
      continue
    }
    if (ch === '(') {
      if (pattern[i + 1] === '?') {
        if (pattern[i + 2] !== ':') return undefined
        out += '(?:'
        i += 2
      } else {
        out += '('
      }
      groups.push({ risky: false })
      lastAtomWasGroup = false
      continue
    }
    if (ch === ')') {
      const g = groups.pop()
      if (g === undefined) return undefined
      out += ')'
      lastAtomWasGroup = true
      lastGroupRisky = g.risky
      continue
    }
    if (ch === '|') {
      markRisky()
      out += '|'
      lastAtomWasGroup = false
      continue
    }
    if (ch === '*' || ch === '+' || ch === '?' || ch === '{') {
      let q = ch
      if (ch === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i))
        if (m === null) {
          // RE2 treats a `{` that does not start a repetition as a literal.
          out += '\\{'
          lastAtomWasGroup = false
          continue
        }
        q = m[0]
        if (m[2] !== undefined && m[3] === '') unbounded++
        i += q.length - 1
      } else if (ch !== '?') {
        unbounded++
      }
      if (lastAtomWasGroup && lastGroupRisky) return undefined
      if (pattern[i + 1] === '?') {
        q += '?'
        i++
      }
      if (pattern[i + 1] === '*' || pattern[i + 1] === '+' || pattern[i + 1] === '{') return undefined
      markRisky()
      out += q
      lastAtomWasGroup = false
      continue
    }
    if (ch === '.') {
      // RE2's `.` excludes only `\n`; JS's also excludes `\r`, U+2028 and U+2029.
      out += '[^\\n]'
      lastAtomWasGroup = false
      continue
    }
    if (ch === '^' || ch === '$') {
      out += ch
      lastAtomWasGroup = false
      continue
    }
    if (ch === '/' || ch === ']' || ch === '}') {
      out += `\\${ch}`
      lastAtomWasGroup = false
      continue
    }
    out += ch
    lastAtomWasGroup = false
  }
  if (groups.length > 0 || unbounded > 1) return undefined
  return out
}

/** `\x` for a letter class or a syntax character; the bare character otherwise (`u` mode forbids other escapes). */
function escapeForUnicodeMode(n: string): string {
  return 'dDwWbB^$\\.*+?()[]{}|/'.includes(n) ? `\\${n}` : n
}

/** The outcome of compiling one pattern: the matcher, or RE2's syntax error. */
export type RegexResult =
  | { readonly ok: true; readonly regex: CompiledRegex }
  | { readonly ok: false; readonly error: string }

/** Compiles an RE2 pattern once (never throws). */
export function compileRegex(pattern: string): RegexResult {
  const engine = regexEngine()
  let re: RE2JS
  try {
    re = engine.compile(pattern)
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) }
  }
  const js = translateRe2ToJs(pattern)
  if (js !== undefined) {
    try {
      return { ok: true, regex: new NativeRegex(pattern, js) }
    } catch {
      // fall through to re2js
    }
  }
  return { ok: true, regex: new Re2Regex(pattern, re) }
}
