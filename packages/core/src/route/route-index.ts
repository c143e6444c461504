import type { CompiledRoute, RequestView } from '../compile/types.js'

/** Below this many routes a linear scan is as fast as any index. */
const LINEAR_LIMIT = 8

// Scratch space shared by every index: route() is synchronous and never re-entered.
const SCRATCH_LISTS: (readonly number[])[] = []
const SCRATCH_MERGED: number[] = []
const EMPTY_SURE = new Uint8Array(0)

/** Literal prefixes of one length: prefix → route ids (ascending). */
interface PrefixGroup {
  readonly length: number
  readonly map: Map<string, number[]>
}

function addTo(map: Map<string, number[]>, key: string, id: number): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [id])
  else list.push(id)
}

function groups(byLength: Map<number, Map<string, number[]>>): PrefixGroup[] {
  return [...byLength.entries()].sort((a, b) => a[0] - b[0]).map(([length, map]) => ({ length, map }))
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
 * (exact or prefix, case-sensitive or not) are indexed — exacts in one map, prefixes in one map
 * per distinct prefix length (one hash lookup per length that fits the path) — so a request only
 * evaluates the routes whose literal fits its path plus the
 * routes without a literal (regex or no path matcher). Candidates are evaluated in ascending
 * route order, which keeps Envoy's first-match semantics exact.
 */
export class RouteIndex {
  readonly #routes: readonly CompiledRoute[]
  readonly #linear: boolean
  readonly #always: number[] = []
  readonly #exact = new Map<string, number[]>()
  readonly #exactFold = new Map<string, number[]>()
  readonly #prefixes: readonly PrefixGroup[]
  readonly #prefixesFold: readonly PrefixGroup[]
  readonly #hasFold: boolean
  /** 1 for a literal exact/prefix route with no other condition: being a candidate means matching. */
  readonly #sure: Uint8Array

  constructor(routes: readonly CompiledRoute[]) {
    this.#routes = routes
    this.#linear = routes.length <= LINEAR_LIMIT
    const prefixes = new Map<number, Map<string, number[]>>()
    const prefixesFold = new Map<number, Map<string, number[]>>()
    let hasFold = false
    this.#sure = this.#linear ? EMPTY_SURE : new Uint8Array(routes.length)
    if (!this.#linear) {
      for (let id = 0; id < routes.length; id++) {
        const uri = routes[id]!.uri
        if (uri !== undefined && uri.kind !== 'regex' && routes[id]!.pathOnly === true) this.#sure[id] = 1
        if (uri === undefined || uri.kind === 'regex') {
          this.#always.push(id)
        } else if (uri.kind === 'exact') {
          if (uri.ignoreCase) addTo(this.#exactFold, asciiLower(uri.value), id)
          else addTo(this.#exact, uri.value, id)
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
    this.#prefixes = groups(prefixes)
    this.#prefixesFold = groups(prefixesFold)
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
    collectPrefixes(this.#prefixes, path, lists)
    if (this.#hasFold) {
      const lower = asciiLower(path)
      const folded = this.#exactFold.get(lower)
      if (folded !== undefined) lists.push(folded)
      collectPrefixes(this.#prefixesFold, lower, lists)
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

/** One hash lookup per distinct literal-prefix length that fits the path. */
function collectPrefixes(groups: readonly PrefixGroup[], path: string, lists: (readonly number[])[]): void {
  const len = path.length
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!
    if (group.length > len) break
    const ids = group.map.get(group.length === len ? path : path.slice(0, group.length))
    if (ids !== undefined) lists.push(ids)
  }
}
