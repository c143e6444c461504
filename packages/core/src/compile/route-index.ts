import type { CompiledRoute, RequestView } from './types.js'

/** Below this many routes a linear scan is as fast as any index. */
const LINEAR_LIMIT = 8

// Scratch space shared by every index: route() is synchronous and never re-entered.
const SCRATCH_LISTS: (readonly number[])[] = []
const SCRATCH_MERGED: number[] = []
const EMPTY_SURE = new Uint8Array(0)
const NO_IDS: number[] = []
const NO_EXACT: ReadonlyMap<string, number[]> = new Map()

/** One literal prefix with its route ids (ascending); `next` chains hash collisions. */
interface PrefixEntry {
  readonly prefix: string
  readonly ids: number[]
  next: PrefixEntry | undefined
}

/** Literal prefixes of one length, keyed by a hash of the prefix (no string slicing per request). */
interface PrefixGroup {
  readonly length: number
  readonly map: Map<number, PrefixEntry>
}

/** One step of the prefix hash (FNV-1a style, 32-bit); `fold` lowercases ASCII first. */
function step(h: number, c: number, fold: boolean): number {
  if (fold && c >= 0x41 && c <= 0x5a) c += 32
  return Math.imul(h ^ c, 0x01000193) | 0
}

const HASH_SEED = 0x811c9dc5 | 0

function hashOf(s: string, fold: boolean): number {
  let h = HASH_SEED
  for (let i = 0; i < s.length; i++) h = step(h, s.charCodeAt(i), fold)
  return h
}

function addTo(map: Map<string, number[]>, key: string, id: number): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [id])
  else list.push(id)
}

function groups(byLength: Map<number, Map<string, number[]>>, fold: boolean): PrefixGroup[] {
  return [...byLength.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([length, literals]) => {
      const map = new Map<number, PrefixEntry>()
      for (const [prefix, ids] of literals) {
        const h = hashOf(prefix, fold)
        map.set(h, { prefix, ids, next: map.get(h) })
      }
      return { length, map }
    })
}

function ascending(a: number, b: number): number {
  return a - b
}

function asciiLower(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x41 && c <= 0x5a) return s.toLowerCase()
  }
  return s
}

/**
 * First-match route selection over one virtual host. Routes whose path matcher is a literal
 * (exact or prefix, case-sensitive or not) are indexed — exacts in one map, prefixes in one hash
 * map per distinct prefix length (one lookup per length that fits the path) — so a request only
 * evaluates the routes whose literal fits its path plus the
 * routes without a literal (regex or no path matcher). Candidates are evaluated in ascending
 * route order, which keeps Envoy's first-match semantics exact.
 */
export class RouteIndex {
  readonly #routes: readonly CompiledRoute[]
  readonly #linear: boolean
  readonly #always: number[]
  readonly #exact: ReadonlyMap<string, number[]>
  readonly #exactFold: ReadonlyMap<string, number[]>
  readonly #prefixes: readonly PrefixGroup[]
  readonly #prefixesFold: readonly PrefixGroup[]
  readonly #hasFold: boolean
  /** 1 for a literal exact/prefix route with no other condition: being a candidate means matching. */
  readonly #sure: Uint8Array

  constructor(routes: readonly CompiledRoute[]) {
    this.#routes = routes
    this.#linear = routes.length <= LINEAR_LIMIT
    const always: number[] = []
    const exactMap = new Map<string, number[]>()
    const exactFold = new Map<string, number[]>()
    const prefixes = new Map<number, Map<string, number[]>>()
    const prefixesFold = new Map<number, Map<string, number[]>>()
    let hasFold = false
    this.#sure = this.#linear ? EMPTY_SURE : new Uint8Array(routes.length)
    if (!this.#linear) {
      for (let id = 0; id < routes.length; id++) {
        const uri = routes[id]!.uri
        if (uri !== undefined && uri.kind !== 'regex' && routes[id]!.pathOnly === true) this.#sure[id] = 1
        if (uri === undefined || uri.kind === 'regex') {
          always.push(id)
        } else if (uri.kind === 'exact') {
          if (uri.ignoreCase) addTo(exactFold, asciiLower(uri.value), id)
          else addTo(exactMap, uri.value, id)
          hasFold ||= uri.ignoreCase
        } else {
          const target = uri.ignoreCase ? prefixesFold : prefixes
          let m = target.get(uri.value.length)
          if (m === undefined) {
            m = new Map()
            target.set(uri.value.length, m)
          }
          addTo(m, uri.ignoreCase ? asciiLower(uri.value) : uri.value, id)
          hasFold ||= uri.ignoreCase
        }
      }
    }
    // Empty parts share one instance: a config with thousands of small hosts stays small.
    this.#always = always.length === 0 ? NO_IDS : always
    this.#exact = exactMap.size === 0 ? NO_EXACT : exactMap
    this.#exactFold = exactFold.size === 0 ? NO_EXACT : exactFold
    this.#prefixes = groups(prefixes, false)
    this.#prefixesFold = groups(prefixesFold, true)
    this.#hasFold = hasFold
  }

  /** The first route that accepts the request. */
  first(request: RequestView): CompiledRoute | undefined {
    const routes = this.#routes
    if (this.#linear) {
      for (let i = 0; i < routes.length; i++) {
        const r = routes[i]!
        if (r.matches(request)) return r
      }
      return undefined
    }
    const path = request.path
    const lists = SCRATCH_LISTS
    lists.length = 0
    if (this.#always.length > 0) lists.push(this.#always)
    const exact = this.#exact.get(path)
    if (exact !== undefined) lists.push(exact)
    if (this.#prefixes.length > 0) collectPrefixes(this.#prefixes, path, false, lists)
    if (this.#hasFold) {
      const folded = this.#exactFold.get(asciiLower(path))
      if (folded !== undefined) lists.push(folded)
      if (this.#prefixesFold.length > 0) collectPrefixes(this.#prefixesFold, path, true, lists)
    }
    let ordered: readonly number[]
    if (lists.length === 0) return undefined
    if (lists.length === 1) {
      ordered = lists[0]!
    } else {
      const merged = SCRATCH_MERGED
      merged.length = 0
      for (let l = 0; l < lists.length; l++) {
        const ids = lists[l]!
        for (let i = 0; i < ids.length; i++) merged.push(ids[i]!)
      }
      merged.sort(ascending)
      ordered = merged
    }
    const sure = this.#sure
    for (let i = 0; i < ordered.length; i++) {
      const id = ordered[i]!
      const r = routes[id]!
      if (sure[id] === 1 || r.matches(request)) return r
    }
    return undefined
  }
}

/**
 * One hash lookup per distinct literal-prefix length that fits the path: the path's prefix hash
 * is extended incrementally (groups are sorted by length), and a hit is confirmed by comparing
 * the literal, so collisions cannot produce a false candidate.
 */
function collectPrefixes(
  groups: readonly PrefixGroup[],
  path: string,
  fold: boolean,
  lists: (readonly number[])[],
): void {
  const len = path.length
  let h = HASH_SEED
  let pos = 0
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!
    const glen = group.length
    if (glen > len) break
    while (pos < glen) h = step(h, path.charCodeAt(pos++), fold)
    for (let e = group.map.get(h); e !== undefined; e = e.next) {
      if (fold ? startsWithFolded(path, e.prefix) : path.startsWith(e.prefix)) {
        lists.push(e.ids)
        break
      }
    }
  }
}

/** `path` starts with `lowerPrefix` when ASCII letters of `path` are lowercased. */
function startsWithFolded(path: string, lowerPrefix: string): boolean {
  for (let i = 0; i < lowerPrefix.length; i++) {
    let c = path.charCodeAt(i)
    if (c >= 0x41 && c <= 0x5a) c += 32
    if (c !== lowerPrefix.charCodeAt(i)) return false
  }
  return true
}
