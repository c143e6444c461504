import type { RE2JS } from 're2js'

// re2js (Go's RE2 syntax and linear-time matching) validates and compiles every regex of a
// configuration, and a configuration without regexes never needs it: it is loaded by
// `loadRegexEngine` at an asynchronous point before such a configuration is validated, which
// bundlers follow like any import. Validation and compilation stay synchronous and find it loaded.

let engine: typeof RE2JS | undefined

/** Keys whose value is an RE2 pattern, and Gateway API's match type that makes `value` one. */
const REGEX_KEYS = new Set(['regex', 'uriRegexRewrite'])
const REGEX_TYPE = 'RegularExpression'

function holdsRegex(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object' || depth > 64) return false
  if (Array.isArray(value)) return value.some((v) => holdsRegex(v, depth + 1))
  for (const [key, v] of Object.entries(value)) {
    if (REGEX_KEYS.has(key) && v !== undefined) return true
    if (key === 'type' && v === REGEX_TYPE) return true
    if (holdsRegex(v, depth + 1)) return true
  }
  return false
}

/**
 * Loads the RE2 engine that validating and compiling regexes needs (re2js, about 1 MiB): always
 * when called without arguments, and only when one of `resources` holds a regex (a `regex` string
 * match, a `uriRegexRewrite`, a Gateway API `RegularExpression` match) otherwise. Resolves at once
 * when it is loaded already.
 *
 * `validate`, `compile` and the other synchronous functions load it themselves on first need when
 * the program runs from its installed packages; a program bundled into one file (esbuild, tsup,
 * webpack) must await this before it validates resources with regexes, since a bundle can only
 * follow an `import()`.
 *
 * @returns whether the engine is loaded.
 */
export async function loadRegexEngine(resources?: Iterable<unknown>): Promise<boolean> {
  if (engine !== undefined) return true
  if (resources !== undefined && ![...resources].some((r) => holdsRegex(r, 0))) return false
  engine ??= (await import('re2js')).RE2JS
  return true
}

/** re2js, loaded by {@link loadRegexEngine} or, outside a bundle, synchronously on first need. */
export function regexEngine(): typeof RE2JS {
  if (engine !== undefined) return engine
  const nodeModule = process.getBuiltinModule('node:module')
  let loaded: typeof import('re2js')
  try {
    loaded = nodeModule.createRequire(import.meta.url)('re2js') as typeof import('re2js')
  } catch (error) {
    throw new Error(
      `the RE2 engine (re2js) is not loaded and cannot be required from here: await loadRegexEngine() before validating or compiling regexes (${error instanceof Error ? error.message : String(error)})`,
    )
  }
  engine = loaded.RE2JS
  return engine
}
